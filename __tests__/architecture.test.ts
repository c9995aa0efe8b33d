import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "./support/fixtures";

/**
 * The layer rules of eslint.config.mjs, proven to fire: `npm test` lints the tree with them, so a
 * back-edge fails the build. Each case lints one import as if it stood in a file of the given folder, all
 * in one ESLint process (its configuration is an ES module, which jest's module system cannot load).
 */
const FORBIDDEN: [string, string][] = [
  ["domain/x.ts", 'import { y } from "../config/load";'],
  ["domain/x.ts", 'import { y } from "../constructs/validation";'],
  ["domain/x.ts", 'import { y } from "cdktf";'],
  ["domain/x.ts", 'import type { y } from "zod";'],
  ["config/schema/x.ts", 'import { y } from "../../constructs/consul/agent-config";'],
  ["config/x.ts", 'import { y } from "../stacks/federation";'],
  ["constructs/consul/x.ts", 'import { y } from "../../config/schema";'],
  ["constructs/x.ts", 'import type { y } from "../stacks/federation";'],
  ["constructs/tls/x.ts", 'import { y } from "../../checks/engine";'],
  ["checks/rules/x.ts", 'import { y } from "../../config/schema";'],
  ["checks/x.ts", 'import { y } from "../stacks/federation";'],
];
const ALLOWED: [string, string][] = [
  ["config/x.ts", 'import { y } from "../domain/ipv4";'],
  ["constructs/consul/x.ts", 'import { y } from "../../domain/ports";'],
  ["constructs/consul/x.ts", 'import { y } from "../tls/agent-certificates";'],
  ["checks/rules/x.ts", 'import { y } from "../../constructs/compute/ssh-file-delivery";'],
  ["stacks/x.ts", 'import { y } from "../config/schema";'],
  ["domain/x.ts", 'import { y } from "./ipv4";'],
];

const LINT = `
const { ESLint } = require("eslint");
const cases = JSON.parse(process.argv[1]);
const eslint = new ESLint({ cwd: process.cwd() });
(async () => {
  const problems = [];
  for (const [file, source] of cases) {
    const [result] = await eslint.lintText(source + "\\nexport const x = y;\\n", { filePath: file });
    problems.push(result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(problems));
})();
`;

const cases = [...FORBIDDEN, ...ALLOWED];
const run = spawnSync(process.execPath, ["-e", LINT, JSON.stringify(cases)], { cwd: REPO_ROOT, encoding: "utf8" });
const problems = new Map(
  cases.map(([file, source], index) => [`${file} ${source}`, (JSON.parse(run.stdout || "[]") as string[][])[index]]),
);
const layerProblems = (file: string, source: string) => problems.get(`${file} ${source}`);

describe("layers", () => {
  it("run in one ESLint process", () => {
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it.each(FORBIDDEN)("refuse a back-edge from %s: %s", (file, source) => {
    expect(layerProblems(file, source)).toHaveLength(1);
  });

  it.each(ALLOWED)("allow %s: %s", (file, source) => {
    expect(layerProblems(file, source)).toEqual([]);
  });
});
