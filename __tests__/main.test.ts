import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { exampleInput, REPO_ROOT } from "./support/fixtures";

const TSX = join(REPO_ROOT, "node_modules", ".bin", "tsx");

/** Runs the app the way `cdktf synth` does: main.ts with CDKTF_OUTDIR naming the output. */
function runApp(env: Record<string, string>) {
  return spawnSync(TSX, ["main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
    encoding: "utf8",
  });
}

function filesUnder(dir: string): Map<string, Buffer> {
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

describe("main.ts", () => {
  it("synthesizes the example byte-identically twice, with no absolute path in the output", () => {
    const first = join(mkdtempSync(join(tmpdir(), "synth-a-")), "out");
    const second = join(mkdtempSync(join(tmpdir(), "synth-b-")), "out");
    for (const outdir of [first, second]) {
      const result = runApp({ CDKTF_OUTDIR: outdir });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
    const a = filesUnder(first);
    const b = filesUnder(second);
    expect([...a.keys()].sort()).toEqual(
      expect.arrayContaining([
        "stacks/prod1/cdk.tf.json",
        "stacks/prod1-acl/cdk.tf.json",
        "manifest.json",
        "federation.md",
        "nodes/prod2/prod2-server-1/consul.json",
      ]),
    );
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [path, content] of a) {
      expect({ path, same: content.equals(b.get(path) as Buffer) }).toEqual({ path, same: true });
      const text = content.toString("utf8");
      for (const absolute of [first, REPO_ROOT, tmpdir()]) expect(text).not.toContain(absolute);
    }
  });

  it("exits non-zero on a bad configuration, lists the problems and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "bad-config-"));
    const input = exampleInput();
    input.datacenters[1].servers.count = 2;
    input.datacenters[2].primary = true;
    writeFileSync(join(dir, "federation.yaml"), stringify(input));
    const outdir = join(dir, "out");

    const result = runApp({ CDKTF_OUTDIR: outdir, FEDERATION_CONFIG: join(dir, "federation.yaml") });

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/datacenters\[1\]\.servers\.count: must be odd/);
    expect(result.stderr).toMatch(/datacenters\[2\]\.primary: a second primary/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(existsSync(outdir)).toBe(false);
  });

  it("names the configuration field, with its line, when a construct refuses a value the schema let through", () => {
    const dir = mkdtempSync(join(tmpdir(), "construct-refusal-"));
    const input = exampleInput();
    input.access.adminCidrs = ["0.0.0.0/0"];
    cpSync(join(REPO_ROOT, "policies"), join(dir, "policies"), { recursive: true });
    writeFileSync(join(dir, "federation.yaml"), stringify(input));
    const outdir = join(dir, "out");
    const result = runApp({ CDKTF_OUTDIR: outdir, FEDERATION_CONFIG: join(dir, "federation.yaml") });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /federation\.yaml: invalid federation configuration\n {2}- access\.adminCidrs: 0\.0\.0\.0\/0 would open admin ports .*\[.*federation\.yaml:\d+\]/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(outdir)).toBe(false);
  });

  it("exits non-zero when the configuration file is missing", () => {
    const outdir = join(mkdtempSync(join(tmpdir(), "missing-config-")), "out");
    const result = runApp({ CDKTF_OUTDIR: outdir, FEDERATION_CONFIG: "/nonexistent/federation.yaml" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cannot read \/nonexistent\/federation\.yaml: file not found/);
    expect(existsSync(outdir)).toBe(false);
  });
});

describe("a synthesis stopped by a federation check", () => {
  const APP = "node --import tsx __tests__/fixtures/failing-app.ts";

  /** Synthesizes the example into a fresh outdir, then runs the failing app there by `how`. */
  function failOver(how: "app" | "npx cdktf synth" | "npm run synth") {
    const outdir = join(mkdtempSync(join(tmpdir(), "failed-synth-")), "out");
    expect(runApp({ CDKTF_OUTDIR: outdir }).status).toBe(0);
    const before = filesUnder(outdir);
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: outdir };
    const result =
      how === "app"
        ? spawnSync("node", ["--import", "tsx", "__tests__/fixtures/failing-app.ts"], {
            cwd: REPO_ROOT,
            env,
            encoding: "utf8",
          })
        : how === "npx cdktf synth"
          ? spawnSync("npx", ["cdktf", "synth", "--app", APP, "--output", outdir], {
              cwd: REPO_ROOT,
              env,
              encoding: "utf8",
            })
          : spawnSync("npm", ["run", "synth", "--", "--app", APP, "--output", outdir], {
              cwd: REPO_ROOT,
              env,
              encoding: "utf8",
            });
    return { result, before, after: filesUnder(outdir) };
  }

  it.each(["app", "npx cdktf synth", "npm run synth"] as const)(
    "fails through %s, names the check without a stack trace, and leaves the previous output as it was",
    (how) => {
      const { result, before, after } = failOver(how);
      expect(result.status).not.toBe(0);
      const output = `${result.stdout}${result.stderr}`;
      expect(output).toMatch(/\[prod2\/open-rpc\] \[CF-SERVER-PORT-EXPOSED\] opens port\(s\) 8300 to 0\.0\.0\.0\/0/);
      expect(output).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [path, content] of before)
        expect({ path, same: content.equals(after.get(path) as Buffer) }).toEqual({ path, same: true });
    },
    60_000,
  );
});

describe("npm run synth", () => {
  it("synthesizes a federation with fewer datacenters than the previous output, the first time", () => {
    const dir = mkdtempSync(join(tmpdir(), "fewer-"));
    const outdir = join(dir, "out");
    const env = { ...process.env, CHECKPOINT_DISABLE: "1" };
    expect(
      spawnSync("npm", ["run", "synth", "--", "--output", outdir], { cwd: REPO_ROOT, env, encoding: "utf8" }).status,
    ).toBe(0);
    const input = exampleInput();
    input.datacenters = input.datacenters.slice(0, 2);
    cpSync(join(REPO_ROOT, "policies"), join(dir, "policies"), { recursive: true });
    writeFileSync(join(dir, "federation.yaml"), stringify(input));
    const fewer = spawnSync("npm", ["run", "synth", "--", "--output", outdir], {
      cwd: REPO_ROOT,
      env: { ...env, FEDERATION_CONFIG: join(dir, "federation.yaml") },
      encoding: "utf8",
    });
    expect(fewer.stderr).not.toMatch(/ENOENT/);
    expect(fewer.status).toBe(0);
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["prod1", "prod1-acl", "prod1-gateways", "prod2"]);
  }, 60_000);
});
