import { ConsulServerNode, MeshGatewayNode } from "../../consul/consul-nodes";
import type { FederationRule } from "../rule";

/** Counted across the whole app: a datacenter's gateways may live in another stack than its servers. */
export const gatewayRedundancy: FederationRule = {
  id: "CF-GATEWAY-REDUNDANCY",
  level: "warning",
  fix: "run at least 2 mesh gateways per datacenter, so that losing one does not cut the datacenter off",
  check(construct, context) {
    if (!(construct instanceof ConsulServerNode) || construct.node.scope === undefined) return [];
    const datacenter = construct.agentConfig.datacenter;
    const gateways = context.root.node
      .findAll()
      .filter((node) => node instanceof MeshGatewayNode && node.agentConfig.datacenter === datacenter).length;
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
