import { cpSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { filesUnder, runApp } from "./support/app";
import { exampleInput, REPO_ROOT } from "./support/fixtures";

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
    input.access.adminCidrs = ["0.0.0.0/1", "128.0.0.0/1"]; // the internet in halves
    cpSync(join(REPO_ROOT, "policies"), join(dir, "policies"), { recursive: true });
    writeFileSync(join(dir, "federation.yaml"), stringify(input));
    const outdir = join(dir, "out");
    const result = runApp({ CDKTF_OUTDIR: outdir, FEDERATION_CONFIG: join(dir, "federation.yaml") });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /federation\.yaml: invalid federation configuration\n {2}- access\.adminCidrs: 0\.0\.0\.0\/1 would open admin ports .*\[.*federation\.yaml:\d+\]\n {2}- access\.adminCidrs: 128\.0\.0\.0\/1 would open/,
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
