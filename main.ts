import { ConfigError, configPathFromEnvironment, loadFederationConfig } from "./config/load";
import { FederationCheckError, synthesizeFederation } from "./stacks/synthesize";

/**
 * Entry point of `cdktf synth|diff|deploy`: validates the configuration before anything exists, then
 * synthesizes every stack and the reviewable node files into CDKTF_OUTDIR (cdktf.out by default).
 */
function main(): void {
  try {
    synthesizeFederation(loadFederationConfig(configPathFromEnvironment()), process.env.CDKTF_OUTDIR ?? "cdktf.out");
  } catch (error) {
    if (error instanceof ConfigError || error instanceof FederationCheckError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

main();
