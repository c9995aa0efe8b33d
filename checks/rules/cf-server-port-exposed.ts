import { NetworkingSecgroupRuleV2 } from "../../.gen/providers/openstack/networking-secgroup-rule-v2";
import { WIDEST_OPERATOR_PREFIX } from "../../domain/exposure";
import { parseIpv4Cidr } from "../../domain/ipv4";
import { ADMIN_AND_SERVER_PORTS } from "../../domain/ports";
import type { FederationRule } from "../engine";

const EVERYWHERE = ["0.0.0.0/0", "::/0"];

/** Half the internet is as bad as all of it: any IPv4 prefix wider than the operators' bound counts. */
function reachesTooFar(remote: string): boolean {
  if (EVERYWHERE.includes(remote)) return true;
  const parsed = parseIpv4Cidr(remote);
  return parsed.ok && parsed.cidr.prefixLength < WIDEST_OPERATOR_PREFIX;
}

export const rule: FederationRule = {
  id: "CF-SERVER-PORT-EXPOSED",
  level: "error",
  fix: "open Consul's server ports to the datacenter's network or the admin CIDRs only; only the gateways' mesh port faces the internet",
  check(construct) {
    if (!(construct instanceof NetworkingSecgroupRuleV2)) return [];
    if (construct.directionInput !== "ingress") return [];
    const remote = construct.remoteIpPrefixInput;
    const reachesEveryone = remote === undefined ? construct.remoteGroupIdInput === undefined : reachesTooFar(remote);
    if (!reachesEveryone) return [];
    const min = construct.portRangeMinInput ?? 1;
    const max = construct.portRangeMaxInput ?? 65535;
    const exposed = ADMIN_AND_SERVER_PORTS.filter((port) => port >= min && port <= max);
    return exposed.length > 0 ? [{ message: `opens port(s) ${exposed.join(", ")} to ${remote ?? "any address"}` }] : [];
  },
};
