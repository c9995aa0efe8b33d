import { NetworkingSecgroupRuleV2 } from "../../../.gen/providers/openstack/networking-secgroup-rule-v2";
import type { FederationRule } from "../rule";

/** Consul's server-side ports: RPC, serf LAN/WAN, HTTP(S), gRPC, DNS. SSH is listed with them. */
const SERVER_PORTS = [22, 8300, 8301, 8302, 8500, 8501, 8502, 8503, 8600];
const EVERYWHERE = ["0.0.0.0/0", "::/0"];

export const serverPortExposed: FederationRule = {
  id: "CF-SERVER-PORT-EXPOSED",
  level: "error",
  fix: "open Consul's server ports to the datacenter's network or the admin CIDRs only; only the gateways' 8443 faces the internet",
  check(construct) {
    if (!(construct instanceof NetworkingSecgroupRuleV2)) return [];
    if (construct.directionInput !== "ingress") return [];
    const remote = construct.remoteIpPrefixInput;
    const fromEverywhere =
      (remote === undefined && construct.remoteGroupIdInput === undefined) || EVERYWHERE.includes(remote ?? "");
    if (!fromEverywhere) return [];
    const min = construct.portRangeMinInput ?? 1;
    const max = construct.portRangeMaxInput ?? 65535;
    const exposed = SERVER_PORTS.filter((port) => port >= min && port <= max);
    return exposed.length > 0 ? [{ message: `opens port(s) ${exposed.join(", ")} to ${remote ?? "any address"}` }] : [];
  },
};
