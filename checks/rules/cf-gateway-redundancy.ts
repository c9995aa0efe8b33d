import { TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { deliveredNode } from "../emitted";
import type { FederationRule } from "../engine";

// One count per tree: walking the whole app for every server would be quadratic in the federation's size.
const gatewayCounts = new WeakMap<IConstruct, Map<string, number>>();

function gatewaysByDatacenter(root: IConstruct): Map<string, number> {
  let counts = gatewayCounts.get(root);
  if (!counts) {
    counts = new Map();
    for (const construct of root.node.findAll()) {
      const node = deliveredNode(construct);
      if (node?.meshGateway) {
        const datacenter = node.agentConfig.datacenter;
        counts.set(datacenter, (counts.get(datacenter) ?? 0) + 1);
      }
    }
    gatewayCounts.set(root, counts);
  }
  return counts;
}

/** Counted across the whole app: a datacenter's gateways may live in another stack than its servers. */
export const rule: FederationRule = {
  id: "CF-GATEWAY-REDUNDANCY",
  level: "warning",
  fix: "run at least 2 mesh gateways per datacenter, so that losing one does not cut the datacenter off",
  check(construct, context) {
    const node = deliveredNode(construct);
    if (!node?.agentConfig.server) return [];
    const datacenter = node.agentConfig.datacenter;
    const gateways = gatewaysByDatacenter(context.root).get(datacenter) ?? 0;
    if (gateways >= 2) return [];
    // Reported on the servers' stack, once for the datacenter.
    return [
      {
        construct: TerraformStack.of(construct),
        message: `datacenter ${datacenter} has ${gateways} mesh gateway(s): no redundancy`,
      },
    ];
  },
};
