#!/usr/bin/env node
// `npm test`: the type-check, ESLint and Prettier run side by side (each mostly one core), then jest; the
// first failure's output is shown and the exit status is non-zero. Tools are run from node_modules/.bin
// directly, not through nested `npm run`. ESLint and Prettier keep a cache in .cache/ (gitignored), keyed on
// each file's content and their configuration, so that a run after an edit checks only what changed: every rule
// of this ESLint configuration reads one file alone (no type information), and Prettier formats files one by one.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

const bin = (name) => join("node_modules", ".bin", name);
const checks = [
  ["tsc", [bin("tsc"), "-p", "."]],
  ["eslint", [bin("eslint"), "--cache", "--cache-strategy", "content", "--cache-location", ".cache/eslint/", "."]],
  [
    "prettier",
    [bin("prettier"), "--check", "--cache", "--cache-strategy", "content", "--cache-location", ".cache/prettier", "."],
  ],
];

const results = await Promise.all(
  checks.map(
    ([name, [command, ...args]]) =>
      new Promise((resolve) => {
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        child.on("close", (code) => resolve({ name, code, output }));
      }),
  ),
);
let failed = false;
for (const { name, code, output } of results) {
  if (code !== 0) {
    process.stderr.write(`${name} failed:\n${output}\n`);
    failed = true;
  } else {
    process.stdout.write(`${name}: ok\n`);
  }
}
if (failed) process.exit(1);
const jest = spawnSync(bin("jest"), process.argv.slice(2), { stdio: "inherit" });
process.exit(jest.status ?? 1);
