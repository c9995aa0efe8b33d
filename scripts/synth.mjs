#!/usr/bin/env node
// The app as `npm run synth` and the cdktf CLI (cdktf.json's "app") run it: the bundle of main.ts, built
// again by scripts/build-app.mjs only when a source is newer than it, then run in this same process.
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, ".build", "main.js");

/** The newest modification time below the app's sources (what the bundle is made of). */
function newestSource() {
  let newest = statSync(join(root, "main.ts")).mtimeMs;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ["domain", "config", "constructs", "checks", "stacks", ".gen", "scripts"]) walk(join(root, dir));
  return newest;
}

let built = 0;
try {
  built = statSync(bundle).mtimeMs;
} catch {
  // no bundle yet
}
if (built < newestSource()) {
  const { buildApp } = await import("./build-app.mjs");
  buildApp();
}
createRequire(import.meta.url)(bundle);
