#!/usr/bin/env node
// Bundles the app (main.ts and everything it imports of this project) into .build/main.js with esbuild,
// packages left to node_modules, and copies the node scripts the constructs read beside it. The bundle
// starts in about half the time `node --import tsx main.ts` takes, which transpiles on every run; types are
// checked by `tsc` in `npm test`, not here.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".build");

export function buildApp() {
  buildSync({
    entryPoints: [join(root, "main.ts")],
    outfile: join(out, "main.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    packages: "external",
    // Stack traces of genuine bugs point at the TypeScript sources.
    sourcemap: "inline",
    logLevel: "warning",
  });
  // The constructs read their scripts from join(__dirname, "files"): __dirname is .build in the bundle.
  const scripts = join(root, "constructs", "consul", "files");
  mkdirSync(join(out, "files"), { recursive: true });
  for (const name of readdirSync(scripts)) copyFileSync(join(scripts, name), join(out, "files", name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildApp();
