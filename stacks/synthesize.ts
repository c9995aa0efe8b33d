import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { App } from "cdktf";
import type { IConstruct } from "constructs";
import type { FederationConfig } from "../config/schema";
import { ConfigFieldError, FederationCheckError } from "../domain/errors";
import { buildFederation, Federation } from "./federation";
import { lowerTerraformTokenProblems, orphanedLocalStateProblems, protectLocalState } from "./local-state";
import { writeReviewableFiles } from "./reviewable-output";
import { stopRecordingTokenStackTraces } from "./token-stack-traces";
import { markRemoteStateSensitive } from "./sensitive-remote-state";
import { renderTopologyDocument } from "./topology";

/** The metadata type of an error Annotation (cdktf's Annotations.addError). */
const ERROR_ANNOTATION = "@cdktf/error";

/** Every error Annotation of the tree, `[path] message`, in tree order. */
function errorAnnotations(root: IConstruct): string[] {
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === ERROR_ANNOTATION)
        .map((entry) => `[${construct.node.path}] ${String(entry.data)}`),
    );
}

/**
 * The cdktf CLI notes the stack folders of the previous output before it runs the app and removes, after
 * it, those the new output has not: folders it expects to find. When the app runs under the CLI (which
 * passes its context), an emptied folder stands in for each stack that is gone, for the CLI to remove.
 */
function keepForCli(previous: string, next: string): void {
  if (process.env.CDKTF_CONTEXT_JSON === undefined) return;
  const stacks = join(previous, "stacks");
  if (!existsSync(stacks)) return;
  for (const stack of readdirSync(stacks)) {
    mkdirSync(join(next, "stacks", stack), { recursive: true });
  }
}

/**
 * Synthesizes the federation into `outdir`. Everything is assembled in a sibling folder that replaces
 * `outdir` only when synthesis, checks included, succeeded: a failed synth never leaves half-written
 * output, and a previous good output stays as it was, whether the app runs alone, under `npx cdktf synth` or
 * under `npm run synth`. The federation checks are judged here from the tree's error Annotations: cdktf
 * would go on despite them under the CLI (which sets CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS).
 */
export function synthesizeFederation(
  federation: FederationConfig,
  outdir: string,
  customize: (built: Federation) => void = () => undefined,
): void {
  stopRecordingTokenStackTraces();
  const target = resolve(outdir);
  const staging = join(dirname(target), `.${process.pid}.synth-staging`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // cdktf's own validations spawn `terraform version` once per terraform_data resource (most of the
    // synth time of a large federation); every stack declares required_version instead, which Terraform
    // enforces where it actually runs. Stack traces in metadata would put absolute paths into manifest.json.
    const app = new App({ outdir: staging, skipValidation: true, stackTraces: false });
    const built = buildFederation(app, federation);
    customize(built);
    const orphaned = orphanedLocalStateProblems(
      federation,
      target,
      built.stacks.map((stack) => stack.node.id),
    );
    const lowered = lowerTerraformTokenProblems(federation, target, built.primary.node.id);
    if (orphaned.length + lowered.length > 0) throw new ConfigFieldError([...orphaned, ...lowered]);
    try {
      app.synth();
    } catch (error) {
      // Without the CLI's CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS, cdktf itself stops at an error finding.
      if (errorAnnotations(app).length === 0) throw error;
    }
    const errors = errorAnnotations(app);
    if (errors.length > 0) throw new FederationCheckError(errors.join("\n"));
    for (const stack of Object.values(app.manifest.stacks)) {
      const file = join(staging, stack.synthesizedStackPath);
      writeFileSync(file, markRemoteStateSensitive(readFileSync(file, "utf8")));
    }
    writeReviewableFiles(app, staging);
    writeFileSync(join(staging, "federation.md"), renderTopologyDocument(federation));
    keepForCli(target, staging);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    protectLocalState(federation, target, Object.keys(app.manifest.stacks));
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
