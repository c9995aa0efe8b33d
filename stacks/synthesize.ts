import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { App } from "cdktf";
import type { FederationConfig } from "../config/schema";
import { FederationCheckError } from "../domain/errors";
import { buildFederation, Federation } from "./federation";
import { writeReviewableFiles } from "./reviewable-output";
import { renderTopologyDocument } from "./topology";

const ERROR_ANNOTATIONS = "Encountered Annotations with level ERROR";

/**
 * Synthesizes the federation into `outdir`. Everything is assembled in a sibling folder that replaces
 * `outdir` only when synthesis, checks included, succeeded: a failed synth never leaves half-written
 * output, and a previous good output stays as it was.
 */
export function synthesizeFederation(
  federation: FederationConfig,
  outdir: string,
  customize: (built: Federation) => void = () => undefined,
): void {
  const target = resolve(outdir);
  const staging = join(dirname(target), `.${process.pid}.synth-staging`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // cdktf's own validations spawn `terraform version` once per terraform_data resource (most of the
    // synth time of a large federation); every stack declares required_version instead, which Terraform
    // enforces where it actually runs.
    const app = new App({ outdir: staging, skipValidation: true });
    customize(buildFederation(app, federation));
    app.synth();
    writeReviewableFiles(app, staging);
    writeFileSync(join(staging, "federation.md"), renderTopologyDocument(federation));
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(ERROR_ANNOTATIONS);
    if (at >= 0) throw new FederationCheckError(message.slice(at + ERROR_ANNOTATIONS.length).replace(/^[:\s]+/, ""));
    throw error;
  }
}
