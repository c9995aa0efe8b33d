import { configPathFromEnvironment, loadFederationConfig, locateProblems } from "./config/load";
import { ConfigError, ConfigFieldError, FederationError } from "./domain/errors";
import { synthesizeFederation } from "./stacks/synthesize";

/**
 * Entry point of `cdktf synth|diff|deploy`: validates the configuration before anything exists, then
 * synthesizes every stack and the reviewable node files into CDKTF_OUTDIR (cdktf.out by default). A
 * problem the user can fix is printed as its message alone, with exit status 1; anything else is a bug and
 * keeps its stack trace.
 */
function main(): void {
  const path = configPathFromEnvironment();
  try {
    synthesizeFederation(loadFederationConfig(path), process.env.CDKTF_OUTDIR ?? "cdktf.out");
  } catch (error) {
    if (error instanceof FederationError) {
      const reported =
        error instanceof ConfigFieldError ? new ConfigError(path, locateProblems(path, error.problems)) : error;
      process.stderr.write(`${reported.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

main();
