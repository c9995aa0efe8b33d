import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { copyExampleOutput } from "./support/example";
import { exampleInput, REPO_ROOT } from "./support/fixtures";

describe("the cdktf CLI with the app of cdktf.json (as diff and deploy run it)", () => {
  it("synthesizes a federation with fewer datacenters than the previous output, the first time", () => {
    const dir = mkdtempSync(join(tmpdir(), "fewer-"));
    const outdir = join(dir, "out");
    const env = { ...process.env, CHECKPOINT_DISABLE: "1" };
    const synth = (extra: NodeJS.ProcessEnv = {}) =>
      spawnSync("npx", ["cdktf", "synth", "--output", outdir], {
        cwd: REPO_ROOT,
        env: { ...env, ...extra },
        encoding: "utf8",
      });
    // The previous output, written by the app alone (the example's): the CLI notes its stack folders all the same.
    copyExampleOutput(outdir);
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual([
      "prod1",
      "prod1-acl",
      "prod1-gateways",
      "prod1-keyring",
      "prod2",
      "prod3",
    ]);
    const input = exampleInput();
    input.datacenters = input.datacenters.slice(0, 2);
    cpSync(join(REPO_ROOT, "policies"), join(dir, "policies"), { recursive: true });
    writeFileSync(join(dir, "federation.yaml"), stringify(input));
    const fewer = synth({ FEDERATION_CONFIG: join(dir, "federation.yaml") });
    expect(fewer.stderr).not.toMatch(/ENOENT/);
    expect(fewer.status).toBe(0);
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual([
      "prod1",
      "prod1-acl",
      "prod1-gateways",
      "prod1-keyring",
      "prod2",
    ]);
  }, 60_000);
});
