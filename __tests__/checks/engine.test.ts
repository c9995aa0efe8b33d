import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suppressRule } from "../../checks/engine";
import { FEDERATION_RULES } from "../../checks/pack";
import { ROLLOUT_STAGES } from "../../domain/stages";
import { synthesizeFederation } from "../../stacks/synthesize";
import { openServerRpc } from "../support/broken";
import { federationApp, findings } from "../support/checks";
import { exampleConfig, REPO_ROOT } from "../support/fixtures";

describe("the federation pack", () => {
  it("is quiet on the example federation at every stage", () => {
    for (const stage of ROLLOUT_STAGES) {
      const app = federationApp((c) => (c.rollout.stage = stage));
      expect({ stage, findings: findings(app, stage) }).toEqual({ stage, findings: [] });
    }
  });

  it("has one rule per file, named by its id, with a fix for each", () => {
    const files = readdirSync(join(REPO_ROOT, "checks", "rules")).sort();
    expect(files).toEqual(FEDERATION_RULES.map((rule) => `${rule.id.toLowerCase()}.ts`).sort());
    expect(FEDERATION_RULES.every((rule) => rule.fix.length > 20)).toBe(true);
  });

  it("reports a suppressed finding as info, with the reason", () => {
    const app = federationApp((c) => (c.datacenters[2].gateways.count = 1));
    const prod3 = app.node.findChild("prod3");
    suppressRule(prod3, "CF-GATEWAY-REDUNDANCY", "lab datacenter, one gateway is enough here");
    expect(findings(app)).toEqual([
      expect.objectContaining({
        level: "info",
        message: expect.stringMatching(/suppressed: .*reason: lab datacenter/),
      }),
    ]);
    expect(() => suppressRule(prod3, "CF-EVEN-SERVERS", "because")).toThrow(/needs a reason/);
  });
});

describe("an error finding at synth", () => {
  it("fails synthesis naming the construct and the fix, and leaves the previous output as it was", () => {
    const outdir = join(mkdtempSync(join(tmpdir(), "checks-")), "out");
    synthesizeFederation(exampleConfig(), outdir);
    const before = readFileSync(join(outdir, "stacks", "prod2", "cdk.tf.json"), "utf8");
    const beside = readdirSync(join(outdir, "..")); // the output and the stacks' local state files
    expect(() => synthesizeFederation(exampleConfig(), outdir, openServerRpc)).toThrow(
      /\[prod2\/open-rpc\] \[CF-SERVER-PORT-EXPOSED\] opens port\(s\) 8300 to 0\.0\.0\.0\/0\. Fix: open Consul's server ports/,
    );
    expect(readFileSync(join(outdir, "stacks", "prod2", "cdk.tf.json"), "utf8")).toBe(before);
    expect(readdirSync(join(outdir, ".."))).toEqual(beside);
    expect(beside.filter((name) => !name.startsWith("terraform."))).toEqual(["out"]);
  });
});
