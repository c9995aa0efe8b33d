import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "./fixtures";

/**
 * Runs the app the way `npm run synth` and the cdktf CLI do: the bundle of main.ts (built by the run's global
 * setup) with CDKTF_OUTDIR naming the output.
 */
export function runApp(env: Record<string, string>) {
  return spawnSync(process.execPath, [join(REPO_ROOT, ".build", "main.js")], {
    cwd: REPO_ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
    encoding: "utf8",
  });
}

/** Every file below `dir`, by relative path. */
export function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}
