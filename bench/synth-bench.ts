/**
 * `npm run bench`: how long synthesis takes, as a user waits for it, against a bare cdktf app with the same
 * stacks, providers and resource counts. Every figure is a ratio of two commands run in pairs, A B A B ...,
 * so that a slow spell of the machine hits both alike; each ratio is given as median with min and max.
 *
 *   whole process   `npm run synth` of the example          vs the bare app (node, bundled alike)
 *                   the app alone (`node .build/main.js`)   vs the bare app
 *                   `npm run synth` of 30 datacenters       vs `npm run synth` of the example
 *   in process      synthesis inside one process (no start-up), ours vs bare (bench/run-case.ts)
 *
 *   npx tsx bench/synth-bench.ts [--runs 7] [--json]
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildSync } from "esbuild";
import { stringify } from "yaml";
import { RESULT_PREFIX, type CaseResult } from "./case-protocol";
import { generateFederationInput, REPO_ROOT } from "./generate-config";
import { readStackShapes, totalEntries } from "./stack-shape";

const TARGETS = { exampleVsBare: 1.5, scaling: 4, testSeconds: 20 } as const;

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

interface Pair {
  readonly name: string;
  readonly a: Spread;
  readonly b: Spread;
  readonly ratio: Spread;
  readonly target?: number;
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

type Command = { readonly argv: readonly string[]; readonly env?: NodeJS.ProcessEnv };

/** Wall time of one run of a command, in milliseconds; it must succeed. */
function timeOnce(command: Command): number {
  const start = performance.now();
  const result = spawnSync(command.argv[0], command.argv.slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...command.env },
    encoding: "utf8",
    // Jest's report of a whole run.
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command.argv.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  return elapsed;
}

/** A and B in turn, after one warm-up of each; the ratio of every pair. */
function paired(name: string, a: Command, b: Command, runs: number, target?: number): Pair {
  timeOnce(a);
  timeOnce(b);
  const as: number[] = [];
  const bs: number[] = [];
  for (let run = 0; run < runs; run++) {
    as.push(timeOnce(a));
    bs.push(timeOnce(b));
    process.stderr.write(`  ${name} ${run + 1}/${runs}: ${as[run].toFixed(0)} ms / ${bs[run].toFixed(0)} ms\n`);
  }
  return { name, a: spread(as), b: spread(bs), ratio: spread(as.map((value, i) => value / bs[i])), target };
}

/** One in-process measurement (bench/run-case.ts), its synthesis time without process start-up. */
function inProcess(args: readonly string[]): CaseResult {
  const child = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "bench", "run-case.ts"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  const line = child.stdout?.split("\n").find((text) => text.startsWith(RESULT_PREFIX));
  if (child.status !== 0 || !line) throw new Error(`run-case ${args.join(" ")} failed:\n${child.stderr}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as CaseResult;
}

function configFile(dir: string, datacenters: number): string {
  cpSync(join(REPO_ROOT, "policies"), join(dir, "policies"), { recursive: true });
  const file = join(dir, `federation-${datacenters}.yaml`);
  writeFileSync(file, stringify(generateFederationInput(datacenters)));
  return file;
}

const fmt = (s: Spread, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

function main(): void {
  const { values } = parseArgs({
    options: { runs: { type: "string" }, json: { type: "boolean" }, test: { type: "boolean" } },
  });
  if (values.test) {
    benchTests(Number(values.runs ?? 3));
    return;
  }
  const runs = Number(values.runs ?? 7);
  const work = mkdtempSync(join(tmpdir(), "synth-bench-"));
  try {
    const out = (name: string) => ({ CDKTF_OUTDIR: join(work, name) });
    const example = join(REPO_ROOT, "federation.yaml");
    const thirty = configFile(work, 30);
    // The example's shape, for the bare app.
    timeOnce({ argv: ["npm", "run", "--silent", "synth"], env: { ...out("shape"), FEDERATION_CONFIG: example } });
    const shapes = readStackShapes(join(work, "shape"));
    writeFileSync(join(work, "shapes.json"), JSON.stringify(shapes));
    buildSync({
      entryPoints: [join(REPO_ROOT, "bench", "bare-main.ts")],
      outfile: join(REPO_ROOT, ".build", "bench-bare.js"),
      bundle: true,
      platform: "node",
      target: "node20",
      packages: "external",
      logLevel: "warning",
    });
    const bare: Command = {
      argv: ["node", join(REPO_ROOT, ".build", "bench-bare.js")],
      env: { ...out("bare"), SHAPES_FILE: join(work, "shapes.json") },
    };
    const npmSynth = (config: string, name: string): Command => ({
      argv: ["npm", "run", "--silent", "synth"],
      env: { ...out(name), FEDERATION_CONFIG: config },
    });
    const pairs = [
      paired("npm run synth (example) / bare app", npmSynth(example, "ex"), bare, runs, TARGETS.exampleVsBare),
      paired("app alone (example) / bare app", { argv: ["node", ".build/main.js"], env: out("ex-app") }, bare, runs),
      paired(
        "npm run synth (30 datacenters) / (example)",
        npmSynth(thirty, "30"),
        npmSynth(example, "ex2"),
        runs,
        TARGETS.scaling,
      ),
    ];
    // In process: synthesis alone, ours and bare, interleaved.
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < Math.max(3, Math.ceil(runs / 2)); run++) {
      const mine = inProcess(["--kind", "ours", "--datacenters", "3"]);
      ours.push(mine.timeMs);
      theirs.push(inProcess(["--kind", "bare", "--datacenters", "3", "--shape", JSON.stringify(mine.stacks)]).timeMs);
    }
    const inProcessPair: Pair = {
      name: "in process (example) / bare app",
      a: spread(ours),
      b: spread(theirs),
      ratio: spread(ours.map((value, i) => value / theirs[i])),
    };
    const all = [...pairs, inProcessPair];
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ runs, resources: totalEntries(shapes), pairs: all }, null, 2)}\n`);
      return;
    }
    const rows = all.map(
      (p) =>
        `| ${p.name} | ${fmt(p.a)} | ${fmt(p.b)} | ${fmt(p.ratio, 2)} | ${p.target === undefined ? "—" : `≤ ${p.target} ${p.ratio.median <= p.target ? "met" : "missed"}`} |`,
    );
    process.stdout.write(
      [
        `${runs} paired runs each (A B A B ...); median (min–max); the example has ${totalEntries(shapes)} resources and data sources in ${shapes.length} stacks.`,
        "",
        "| pair (A / B) | A (ms) | B (ms) | A/B | target |",
        "| --- | ---: | ---: | ---: | --- |",
        ...rows,
        "",
      ].join("\n"),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- --test`: `npm test` as a whole process (type-check, ESLint, Prettier, jest), after one warm-up
 * run, against its absolute target. Runs one after another, since there is nothing to pair an absolute target with;
 * the spread says how much the machine moved meanwhile.
 */
function benchTests(runs: number): void {
  const command: Command = { argv: ["npm", "test", "--silent"] };
  timeOnce(command);
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    seconds.push(timeOnce(command) / 1000);
    process.stderr.write(`  npm test ${run + 1}/${runs}: ${seconds[run].toFixed(1)} s\n`);
  }
  const result = spread(seconds);
  const met = result.median <= TARGETS.testSeconds ? "met" : "missed";
  process.stdout.write(
    [
      `${runs} runs of npm test after a warm-up; median (min–max)`,
      "",
      "| command | s | target |",
      "| --- | ---: | --- |",
      `| npm test | ${fmt(result, 1)} | ≤ ${TARGETS.testSeconds} s ${met} |`,
      "",
    ].join("\n"),
  );
}

main();
