import type { IConstruct } from "constructs";
import { ConsulServerNode, MeshGatewayNode } from "../../consul/consul-nodes";
import type { FederationRule } from "../rule";

// One count per tree: walking the whole app for every server would be quadratic in the federation's size.
const gatewayCounts = new WeakMap<IConstruct, Map<string, number>>();

function gatewaysByDatacenter(root: IConstruct): Map<string, number> {
  let counts = gatewayCounts.get(root);
  if (!counts) {
    counts = new Map();
    for (const node of root.node.findAll()) {
      if (node instanceof MeshGatewayNode) {
        const datacenter = node.agentConfig.datacenter;
        counts.set(datacenter, (counts.get(datacenter) ?? 0) + 1);
      }
    }
    gatewayCounts.set(root, counts);
  }
  return counts;
}

/** Counted across the whole app: a datacenter's gateways may live in another stack than its servers. */
export const gatewayRedundancy: FederationRule = {
  id: "CF-GATEWAY-REDUNDANCY",
  level: "warning",
  fix: "run at least 2 mesh gateways per datacenter, so that losing one does not cut the datacenter off",
  check(construct, context) {
    if (!(construct instanceof ConsulServerNode) || construct.node.scope === undefined) return [];
    const datacenter = construct.agentConfig.datacenter;
    const gateways = gatewaysByDatacenter(context.root).get(datacenter) ?? 0;
    if (gateways >= 2) return [];
    // Reported on the servers' scope (their stack), once for the datacenter.
    return [
      {
        construct: construct.node.scope,
        message: `datacenter ${datacenter} has ${gateways} mesh gateway(s): no redundancy`,
      },
    ];
  },
};
