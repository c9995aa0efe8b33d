/**
 * `npm run bench`: synthesis time and peak memory of generated federations against a bare cdktf app with
 * the same stacks, providers and resource counts. Every measurement runs in a fresh `node` process
 * (bench/run-case.ts) so that peak RSS and JIT warm-up belong to one case. The targets are reported,
 * never enforced: the exit code is 0 unless a case fails to run.
 *
 *   npx tsx bench/synth-bench.ts [--json] [--runs 3] [--sizes 1,3,10,30]
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RESULT_PREFIX, type CaseKind, type CaseResult } from "./case-protocol";
import { REPO_ROOT } from "./generate-config";
import { totalEntries, type StackShape } from "./stack-shape";

const RUN_CASE = join(REPO_ROOT, "bench", "run-case.ts");
const DEFAULT_SIZES = [1, 3, 10, 30];
const DEFAULT_RUNS = 3;
const TARGETS = { exampleVsBare: { datacenters: 3, limit: 1.5 }, scaling: { from: 3, to: 30, limit: 4 } } as const;

interface Measurement {
  readonly result: CaseResult;
  /** Spawn to exit, as a user waiting for the synthesis would see it (minus the cdktf CLI). */
  readonly withStartupMs: number;
}

interface Summary {
  readonly timeMs: number;
  readonly timesMs: readonly number[];
  readonly withStartupMs: number;
  readonly maxRssMiB: number;
  readonly phasesMs: Record<string, number>;
  readonly terraformVersionChecksMs: number;
  /** Median of each run's time minus its `terraform version` checks. */
  readonly withoutChecksMs: number;
}

interface SizeReport {
  readonly datacenters: number;
  readonly stacks: number;
  readonly resources: number;
  readonly terraformData: number;
  readonly ours: Summary;
  readonly bare: Summary;
  readonly timeRatio: number;
  readonly timeRatioWithoutChecks: number;
}

interface TargetReport {
  readonly description: string;
  readonly ratio: number | undefined;
  readonly limit: number;
  readonly pass: boolean | undefined;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function runCase(kind: CaseKind, datacenters: number, shapes?: readonly StackShape[]): Measurement {
  const args = ["--import", "tsx", RUN_CASE, "--kind", kind, "--datacenters", String(datacenters)];
  if (shapes) args.push("--shape", JSON.stringify(shapes));
  const start = performance.now();
  const child = spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // As `npm run synth` runs the app: the `terraform version` that cdktf's validations run must not
    // phone home, or the network would decide the timings.
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  const withStartupMs = performance.now() - start;
  const line = child.stdout
    ?.split("\n")
    .reverse()
    .find((text) => text.startsWith(RESULT_PREFIX));
  if (child.status !== 0 || !line) {
    throw new Error(
      `${kind} case with ${datacenters} datacenters failed (exit ${child.status ?? child.signal}):\n${child.stderr}`,
    );
  }
  return { result: JSON.parse(line.slice(RESULT_PREFIX.length)) as CaseResult, withStartupMs };
}

/** The first stack whose counts differ, described; undefined when the shapes match. */
function shapeDifference(actual: readonly StackShape[], expected: readonly StackShape[]): string | undefined {
  const describe = (shape: StackShape | undefined) =>
    shape
      ? `${shape.name}: ${shape.resources} resources, ${shape.data} data, ${shape.terraformData} terraform_data`
      : "no stack";
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const [a, e] = [actual[i], expected[i]];
    if (
      a?.name !== e?.name ||
      a?.resources !== e?.resources ||
      a?.data !== e?.data ||
      a?.terraformData !== e?.terraformData
    ) {
      return `${describe(a)} where the first run had ${describe(e)}`;
    }
  }
  return undefined;
}

function summarize(measurements: readonly Measurement[]): Summary {
  const phaseNames = Object.keys(measurements[0].result.phasesMs);
  return {
    timeMs: median(measurements.map((m) => m.result.timeMs)),
    timesMs: measurements.map((m) => m.result.timeMs),
    withStartupMs: median(measurements.map((m) => m.withStartupMs)),
    maxRssMiB: Math.max(...measurements.map((m) => m.result.maxRssMiB)),
    terraformVersionChecksMs: median(measurements.map((m) => m.result.terraformVersionChecksMs)),
    withoutChecksMs: median(measurements.map((m) => m.result.timeMs - m.result.terraformVersionChecksMs)),
    phasesMs: Object.fromEntries(
      phaseNames.map((phase) => [phase, median(measurements.map((m) => m.result.phasesMs[phase] ?? 0))]),
    ),
  };
}

function measureSize(datacenters: number, runs: number): SizeReport {
  const ours: Measurement[] = [];
  const bare: Measurement[] = [];
  // The bare app copies the shape that our first run synthesized; the kinds then alternate so that a
  // slow spell of the machine hits both alike.
  ours.push(runCase("ours", datacenters));
  const shapes = ours[0].result.stacks;
  for (let run = 0; run < runs; run++) {
    if (run > 0) ours.push(runCase("ours", datacenters));
    bare.push(runCase("bare", datacenters, shapes));
    progress(
      `  ${datacenters} datacenters, run ${run + 1}/${runs}: ours ${ours[run].result.timeMs.toFixed(0)} ms, bare ${bare[run].result.timeMs.toFixed(0)} ms`,
    );
  }
  // A tree edited while the benchmark runs would compare unlike apps.
  for (const measurement of [...ours, ...bare]) {
    const difference = shapeDifference(measurement.result.stacks, shapes);
    if (difference) {
      throw new Error(`${measurement.result.kind} run with ${datacenters} datacenters synthesized ${difference}`);
    }
  }
  const oursSummary = summarize(ours);
  const bareSummary = summarize(bare);
  return {
    datacenters,
    stacks: shapes.length,
    resources: totalEntries(shapes),
    terraformData: shapes.reduce((sum, shape) => sum + shape.terraformData, 0),
    ours: oursSummary,
    bare: bareSummary,
    timeRatio: oursSummary.timeMs / bareSummary.timeMs,
    timeRatioWithoutChecks: oursSummary.withoutChecksMs / bareSummary.withoutChecksMs,
  };
}

function target(description: string, ratio: number | undefined, limit: number): TargetReport {
  return { description, ratio, limit, pass: ratio === undefined ? undefined : ratio <= limit };
}

function evaluateTargets(reports: readonly SizeReport[]): TargetReport[] {
  const bySize = (datacenters: number) => reports.find((report) => report.datacenters === datacenters);
  const example = bySize(TARGETS.exampleVsBare.datacenters);
  const from = bySize(TARGETS.scaling.from);
  const to = bySize(TARGETS.scaling.to);
  return [
    target(
      `${TARGETS.exampleVsBare.datacenters}-datacenter example within ${TARGETS.exampleVsBare.limit}x the bare app`,
      example?.timeRatio,
      TARGETS.exampleVsBare.limit,
    ),
    target(
      `${TARGETS.scaling.to} datacenters within ${TARGETS.scaling.limit}x the time of ${TARGETS.scaling.from}`,
      from && to ? to.ours.timeMs / from.ours.timeMs : undefined,
      TARGETS.scaling.limit,
    ),
  ];
}

function markdown(reports: readonly SizeReport[], targets: readonly TargetReport[], runs: number): string {
  const ms = (value: number) => value.toFixed(0);
  const mib = (value: number) => value.toFixed(1);
  const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
  const lines = [
    row([
      "datacenters",
      "stacks",
      "resources",
      "time (ms)",
      "peak RSS (MiB)",
      "bare time (ms)",
      "bare RSS (MiB)",
      "time ratio (ours/bare)",
      "time incl. start-up (ms)",
      "bare incl. start-up (ms)",
    ]),
    row(Array.from({ length: 10 }, () => "--:")),
    ...reports.map((r) =>
      row([
        r.datacenters,
        r.stacks,
        r.resources,
        ms(r.ours.timeMs),
        mib(r.ours.maxRssMiB),
        ms(r.bare.timeMs),
        mib(r.bare.maxRssMiB),
        r.timeRatio.toFixed(2),
        ms(r.ours.withStartupMs),
        ms(r.bare.withStartupMs),
      ]),
    ),
    "",
    `Median of ${runs} runs, each in a fresh process; peak RSS is the maximum of the runs.`,
    "",
    "Where the time goes (median ms per phase). cdktf validates each `terraform_data` resource by spawning",
    "`terraform version`; synth includes those checks, shown apart in the tf version columns:",
    "",
    row([
      "datacenters",
      "terraform_data",
      "config",
      "construct",
      "synth",
      "tf version",
      "reviewable",
      "bare construct",
      "bare synth",
      "bare tf version",
      "ratio without tf version",
    ]),
    row(Array.from({ length: 11 }, () => "--:")),
    ...reports.map((r) =>
      row([
        r.datacenters,
        r.terraformData,
        ms(r.ours.phasesMs.config ?? 0),
        ms(r.ours.phasesMs.construct ?? 0),
        ms(r.ours.phasesMs.synth ?? 0),
        ms(r.ours.terraformVersionChecksMs),
        ms(r.ours.phasesMs.reviewable ?? 0),
        ms(r.bare.phasesMs.construct ?? 0),
        ms(r.bare.phasesMs.synth ?? 0),
        ms(r.bare.terraformVersionChecksMs),
        r.timeRatioWithoutChecks.toFixed(2),
      ]),
    ),
    "",
    ...targets.map(
      (t) =>
        `${t.description}: ${t.ratio === undefined ? "n/a (size not measured)" : `${t.ratio.toFixed(2)} ${t.pass ? "PASS" : "FAIL"}`}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

function parseOptions(): { json: boolean; runs: number; sizes: number[] } {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      runs: { type: "string", default: String(DEFAULT_RUNS) },
      sizes: { type: "string", default: DEFAULT_SIZES.join(",") },
    },
  });
  const runs = Number(values.runs);
  const sizes = values.sizes.split(",").map(Number);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 255)) {
    throw new Error(`--sizes must list datacenter counts from 1 to 255, got ${values.sizes}`);
  }
  return { json: values.json, runs, sizes };
}

function main(): void {
  const { json, runs, sizes } = parseOptions();
  const reports = sizes.map((datacenters) => {
    progress(`synthesizing ${datacenters} datacenters (${runs} runs each, ours and bare)...`);
    return measureSize(datacenters, runs);
  });
  const targets = evaluateTargets(reports);
  process.stdout.write(
    json ? `${JSON.stringify({ runs, sizes: reports, targets }, null, 2)}\n` : markdown(reports, targets, runs),
  );
}

try {
  main();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
