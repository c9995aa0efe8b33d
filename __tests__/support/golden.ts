import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * Golden files: expected output kept as readable files under `__tests__/__golden__/`, one per stack and
 * resource kind, so that a reviewer sees exactly what changed where. They follow jest's own snapshot
 * rules: `npx jest -u` (or UPDATE_GOLDEN=1) rewrites them, a missing one is written on a developer's
 * machine and fails under CI.
 */
export const GOLDEN_ROOT = join(__dirname, "..", "__golden__");

function updating(): boolean {
  const state = expect.getState() as { snapshotState?: { _updateSnapshot?: string } };
  return process.env.UPDATE_GOLDEN === "1" || state.snapshotState?._updateSnapshot === "all";
}

export function expectGolden(path: string, actual: string): void {
  const file = join(GOLDEN_ROOT, path);
  if (updating() || (!existsSync(file) && process.env.CI !== "true")) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`no golden file ${path} (run npx jest -u and commit it)`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

/** Golden files below `folder` that no test wrote or checked: removed when updating, a failure otherwise. */
export function obsoleteGoldenFiles(folder: string, expected: ReadonlySet<string>): string[] {
  const root = join(GOLDEN_ROOT, folder);
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(relative(GOLDEN_ROOT, path));
    }
  };
  walk(root);
  const obsolete = found.filter((path) => !expected.has(path));
  if (updating()) {
    for (const path of obsolete) rmSync(join(GOLDEN_ROOT, path));
    return [];
  }
  return obsolete;
}

/** A stack's JSON split into one document per resource (and data source) type and per other top-level block. */
export function goldenPartsOfStack(stack: string, json: string): Map<string, string> {
  const document = JSON.parse(json) as Record<string, unknown>;
  const parts = new Map<string, string>();
  const write = (name: string, value: unknown) =>
    parts.set(`example/${stack}/${name}.json`, `${JSON.stringify(value, null, 2)}\n`);
  for (const [block, value] of Object.entries(document)) {
    if (block === "resource" || block === "data") {
      for (const [type, byName] of Object.entries(value as Record<string, unknown>)) write(`${block}.${type}`, byName);
    } else {
      write(block, value);
    }
  }
  return parts;
}
