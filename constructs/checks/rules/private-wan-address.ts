import { Token } from "cdktf";
import { ConsulServerNode, MeshGatewayNode } from "../../consul/consul-nodes";
import type { FederationRule } from "../rule";

const PRIVATE = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^127\./, /^169\.254\./];

/** Other datacenters dial the WAN address: a private one is unreachable from them. */
export const privateWanAddress: FederationRule = {
  id: "CF-PRIVATE-WAN-ADDRESS",
  level: "error",
  fix: "advertise the floating IP as advertise_addr_wan (and the gateway's -wan-address), never a private address",
  check(construct) {
    if (!(construct instanceof MeshGatewayNode || construct instanceof ConsulServerNode)) return [];
    const wan = construct.agentConfig.advertise_addr_wan;
    if (Token.isUnresolved(wan) || !PRIVATE.some((range) => range.test(wan))) return [];
    return [{ message: `${construct.agentConfig.node_name} advertises the private WAN address ${wan}` }];
  },
};
