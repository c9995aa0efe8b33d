import { rule } from "../../../checks/rules/cf-secondary-wiring";
import { ConsulServerNode } from "../../../constructs/consul/server-node";
import { federationApp, findings } from "../../support/checks";
import { serverNodeProps, testStack } from "../../support/fixtures";

describe("CF-SECONDARY-WIRING", () => {
  it("is quiet on the example's secondaries at every stage", () => {
    for (const stage of ["cluster", "acl", "mesh", "enforced"] as const) {
      expect(
        findings(
          federationApp((c) => (c.rollout.stage = stage)),
          stage,
          [rule],
        ),
      ).toEqual([]);
    }
  });

  it("fires on a secondary server without primary_gateways or replication", () => {
    const stack = testStack("s");
    new ConsulServerNode(
      stack,
      "server",
      serverNodeProps(stack, { nodeName: "dc2-server-1", datacenter: "dc2", primaryDatacenter: "dc1" }),
    );
    expect(findings(stack, "cluster", [rule])).toEqual([]);
    expect(findings(stack, "mesh", [rule]).map((f) => f.message)).toEqual([
      expect.stringMatching(/CF-SECONDARY-WIRING.*no primary_gateways/),
      expect.stringMatching(/CF-SECONDARY-WIRING.*no ACL token replication/),
    ]);
  });
});
