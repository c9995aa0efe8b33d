import { Token } from "cdktf";
import { deliveredNode } from "../emitted";
import type { FederationRule } from "../engine";

const PRIVATE = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^127\./, /^169\.254\./];
const isPrivate = (address: string | undefined) =>
  address !== undefined && !Token.isUnresolved(address) && PRIVATE.some((range) => range.test(address));

/** Other datacenters dial the WAN address: a private one is unreachable from them. */
export const rule: FederationRule = {
  id: "CF-PRIVATE-WAN-ADDRESS",
  level: "error",
  fix: "advertise the floating IP as advertise_addr_wan (and the gateway's -wan-address), never a private address",
  check(construct) {
    const node = deliveredNode(construct);
    if (!node) return [];
    const advertised = [node.agentConfig.advertise_addr_wan, node.gatewayEnvironment?.WAN_ADDRESS];
    return advertised
      .filter(isPrivate)
      .map((address) => ({ message: `${node.agentConfig.node_name} advertises the private WAN address ${address}` }));
  },
};
