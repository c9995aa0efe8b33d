import { rule } from "../../../checks/rules/cf-even-servers";
import { ConsulServerNode } from "../../../constructs/consul/server-node";
import { deliveryOf, findings, ruleIds } from "../../support/checks";
import { serverNodeProps, testStack } from "../../support/fixtures";

describe("CF-EVEN-SERVERS", () => {
  it("is quiet on a server with an odd bootstrap_expect", () => {
    const stack = testStack("s");
    new ConsulServerNode(stack, "server", serverNodeProps(stack, { serverCount: 3, retryJoin: ["10.1.0.10"] }));
    expect(findings(stack, "cluster", [rule])).toEqual([]);
  });

  it("fires on a delivered configuration with an even bootstrap_expect", () => {
    // The server construct refuses an even count itself; the rule guards whatever else emits a configuration.
    const stack = testStack("s");
    deliveryOf(stack, "server", { server: true, node_name: "dc1-server-1", bootstrap_expect: 4 });
    expect(ruleIds(findings(stack, "cluster", [rule]))).toEqual(["CF-EVEN-SERVERS"]);
  });
});
