import { cpSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** The example as the run's global setup synthesized it (support/global-setup.ts). */
function outdir(): string {
  const dir = process.env.EXAMPLE_SYNTH_OUTDIR;
  if (!dir) throw new Error("EXAMPLE_SYNTH_OUTDIR is not set: run the tests through jest (its globalSetup)");
  return dir;
}

/** A synthesized stack as cdktf's Testing.synth prints it: no "//" metadata, keys sorted. */
function asTestingSynth(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asTestingSynth);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .filter((key) => key !== "//")
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((key) => [key, asTestingSynth((value as Record<string, unknown>)[key])]),
  );
}

/** Stack name -> its JSON, in deployment order, as `synthesize(example).stacks` would give it. */
export function exampleStacks(): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(outdir(), "manifest.json"), "utf8")) as {
    stacks: Record<string, { synthesizedStackPath: string }>;
  };
  return new Map(
    Object.entries(manifest.stacks).map(([name, stack]) => [
      name,
      JSON.stringify(
        asTestingSynth(JSON.parse(readFileSync(join(outdir(), stack.synthesizedStackPath), "utf8"))),
        null,
        2,
      ),
    ]),
  );
}

/** Every reviewable node file of the example, `nodes/<dc>/<node>/<file>` -> content, sorted by path. */
export function exampleFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(outdir(), path), readFileSync(path, "utf8"));
    }
  };
  walk(join(outdir(), "nodes"));
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * A copy of the example's output at `target`, as a previous synthesis by the app alone leaves it (the global
 * setup wrote it with the app's own synthesizeFederation): tests that only need a previous output start from
 * it instead of running the app again.
 */
export function copyExampleOutput(target: string): void {
  cpSync(outdir(), target, { recursive: true });
}
