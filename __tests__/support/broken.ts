import { NetworkingSecgroupRuleV2 } from "../../.gen/providers/openstack/networking-secgroup-rule-v2";
import type { Federation } from "../../stacks/federation";

/** Breaks a built federation as a check must catch: server RPC of the first secondary open to the internet. */
export function openServerRpc(built: Federation): void {
  new NetworkingSecgroupRuleV2(built.secondaries[0], "open-rpc", {
    securityGroupId: "sg",
    direction: "ingress",
    ethertype: "IPv4",
    protocol: "tcp",
    portRangeMin: 8300,
    portRangeMax: 8300,
    remoteIpPrefix: "0.0.0.0/0",
  });
}
