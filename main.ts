import { App } from "cdktf";
import { ConfigError, configPathFromEnvironment, loadFederationConfig } from "./config/load";
import { buildFederation } from "./stacks/federation";
import { writeReviewableFiles } from "./stacks/reviewable-output";

/**
 * Entry point of `cdktf synth|diff|deploy`. The configuration is validated completely before the App
 * exists, so a bad file writes nothing.
 */
function main(): void {
  const configPath = configPathFromEnvironment();
  let federation;
  try {
    federation = loadFederationConfig(configPath);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = new App();
  buildFederation(app, federation);
  app.synth();
  writeReviewableFiles(app, app.outdir);
}

main();
