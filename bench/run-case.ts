/**
 * One measured synthesis, run by synth-bench.ts in a fresh `node` process so that peak RSS and JIT
 * warm-up belong to this case alone. Prints one result line (RESULT_PREFIX + JSON) on stdout.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RESULT_PREFIX, type CaseResult } from "./case-protocol";
import { readStackShapes, type StackShape } from "./stack-shape";

type Phases = Record<string, number>;

/** Runs `steps` in order and records each one's wall time. */
function timed(steps: [string, () => void][]): Phases {
  const phases: Phases = {};
  for (const [name, step] of steps) {
    const start = performance.now();
    step();
    phases[name] = performance.now() - start;
  }
  return phases;
}

// Modules are imported before the clock starts, and only those of the kind measured, so that the bare
// case's RSS carries none of our code and neither time includes compiling TypeScript.
async function runOurs(datacenters: number, outdir: string): Promise<Phases> {
  const { App } = await import("cdktf");
  const { generateFederationConfig } = await import("./generate-config");
  const { buildFederation } = await import("../stacks/federation");
  const { writeReviewableFiles } = await import("../stacks/reviewable-output");
  let config: ReturnType<typeof generateFederationConfig> | undefined;
  let app: InstanceType<typeof App> | undefined;
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("a benchmark phase ran out of order");
    return value;
  };
  return timed([
    ["config", () => (config = generateFederationConfig(datacenters))],
    [
      "construct",
      () => {
        // As stacks/synthesize.ts does: cdktf's per-resource validations are skipped (see there).
        app = new App({ outdir, skipValidation: true });
        buildFederation(app, need(config));
      },
    ],
    ["synth", () => need(app).synth()],
    ["reviewable", () => void writeReviewableFiles(need(app), need(app).outdir)],
  ]);
}

async function runBare(shapes: readonly StackShape[], outdir: string): Promise<Phases> {
  const { App } = await import("cdktf");
  const { buildBareApp } = await import("./bare-app");
  let app: InstanceType<typeof App> | undefined;
  return timed([
    [
      "construct",
      () => {
        // Same App options as ours, so that the ratio measures our constructs, not cdktf's validations.
        app = new App({ outdir, skipValidation: true });
        buildBareApp(app, shapes);
      },
    ],
    ["synth", () => app?.synth()],
  ]);
}

/**
 * Accumulates the time of cdktf's binary-version validations. They spawn `terraform version` through a
 * shell once per `terraform_data` resource, a cost of cdktf and the machine rather than of our code,
 * and large enough to hide everything else; reporting it apart keeps the comparison readable.
 */
async function timeBinaryVersionChecks(): Promise<() => number> {
  const { ValidateBinaryVersion } = await import("cdktf/lib/validations/validate-binary-version");
  const validate = ValidateBinaryVersion.prototype.validate;
  let spentMs = 0;
  ValidateBinaryVersion.prototype.validate = function (this: InstanceType<typeof ValidateBinaryVersion>) {
    const start = performance.now();
    try {
      return validate.call(this);
    } finally {
      spentMs += performance.now() - start;
    }
  };
  return () => spentMs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kind: { type: "string" },
      datacenters: { type: "string" },
      shape: { type: "string" },
    },
  });
  const kind = values.kind;
  const datacenters = Number(values.datacenters);
  if (kind !== "ours" && kind !== "bare") throw new Error("--kind must be ours or bare");
  if (!Number.isInteger(datacenters) || datacenters < 1) throw new Error("--datacenters must be a positive integer");
  if (kind === "bare" && !values.shape)
    throw new Error("--shape (JSON of the stacks to reproduce) is required for bare");

  const binaryChecksMs = await timeBinaryVersionChecks();
  const outdir = mkdtempSync(join(tmpdir(), `synth-bench-${kind}-${datacenters}-`));
  try {
    const phasesMs =
      kind === "ours"
        ? await runOurs(datacenters, outdir)
        : await runBare(JSON.parse(values.shape ?? "[]") as StackShape[], outdir);
    const timeMs = Object.values(phasesMs).reduce((sum, ms) => sum + ms, 0);
    // resourceUsage is read before counting, which parses every cdk.tf.json and would add its own peak.
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    const result: CaseResult = {
      kind,
      datacenters,
      timeMs,
      phasesMs,
      terraformVersionChecksMs: binaryChecksMs(),
      maxRssMiB,
      stacks: readStackShapes(outdir),
    };
    process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
