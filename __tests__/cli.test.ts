import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { filesUnder } from "./support/app";
import { copyExampleOutput } from "./support/example";
import { exampleInput, REPO_ROOT } from "./support/fixtures";

describe("a synthesis stopped by a federation check or a bad configuration", () => {
  const APP = "node --import tsx __tests__/fixtures/failing-app.ts";

  /** Puts the example's output into a fresh outdir, then fails a synthesis there by `how`. */
  function failOver(how: "app" | "npx cdktf synth" | "npm run synth") {
    const dir = mkdtempSync(join(tmpdir(), "failed-synth-"));
    const outdir = join(dir, "out");
    copyExampleOutput(outdir);
    const before = filesUnder(outdir);
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: outdir };
    const options = { cwd: REPO_ROOT, env, encoding: "utf8" as const };
    let result;
    if (how === "app") {
      result = spawnSync("node", ["--import", "tsx", "__tests__/fixtures/failing-app.ts"], options);
    } else if (how === "npx cdktf synth") {
      result = spawnSync("npx", ["cdktf", "synth", "--app", APP, "--output", outdir], options);
    } else {
      // npm run synth runs the bundled app: a configuration the schema refuses stops it.
      const input = exampleInput();
      input.datacenters[1].servers.count = 2;
      writeFileSync(join(dir, "federation.yaml"), stringify(input));
      result = spawnSync("npm", ["run", "synth"], {
        ...options,
        env: { ...env, FEDERATION_CONFIG: join(dir, "federation.yaml") },
      });
    }
    return { result, before, after: filesUnder(outdir) };
  }

  it.each([
    ["app", /\[prod2\/open-rpc\] \[CF-SERVER-PORT-EXPOSED\] opens port\(s\) 8300 to 0\.0\.0\.0\/0/],
    ["npx cdktf synth", /\[prod2\/open-rpc\] \[CF-SERVER-PORT-EXPOSED\] opens port\(s\) 8300 to 0\.0\.0\.0\/0/],
    ["npm run synth", /datacenters\[1\]\.servers\.count: must be odd/],
  ] as const)(
    "fails through %s, says why without a stack trace, and leaves the previous output as it was",
    (how, expected) => {
      const { result, before, after } = failOver(how);
      expect(result.status).not.toBe(0);
      const output = `${result.stdout}${result.stderr}`;
      expect(output).toMatch(expected);
      expect(output).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [path, content] of before) {
        expect({ path, same: content.equals(after.get(path) as Buffer) }).toEqual({ path, same: true });
      }
    },
    60_000,
  );
});
