import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFederationConfig } from "../../config/load";
import { stopRecordingTokenStackTraces } from "../../stacks/token-stack-traces";
import { synthesizeFederation } from "../../stacks/synthesize";

/**
 * Builds the app's bundle (.build/main.js) and synthesizes the bundled example once for the whole run, as the
 * app does; test files that only read the example's stacks and node files take them from there
 * (support/example.ts) instead of building it again.
 */
export default function globalSetup(): void {
  // The app as `npm run synth` runs it: the tests that run whole processes run this bundle.
  execFileSync(process.execPath, [join(__dirname, "..", "..", "scripts", "build-app.mjs")], { stdio: "inherit" });
  stopRecordingTokenStackTraces();
  const outdir = join(mkdtempSync(join(tmpdir(), "example-synth-")), "out");
  synthesizeFederation(loadFederationConfig(join(__dirname, "..", "..", "federation.yaml")), outdir);
  process.env.EXAMPLE_SYNTH_OUTDIR = outdir;
}
