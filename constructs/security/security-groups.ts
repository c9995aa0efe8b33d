import { Construct } from "constructs";
import { NetworkingSecgroupRuleV2 } from "../../.gen/providers/openstack/networking-secgroup-rule-v2";
import { NetworkingSecgroupV2 } from "../../.gen/providers/openstack/networking-secgroup-v2";
import { operatorReachProblems } from "../../domain/exposure";
import { parseIpv4Cidr } from "../../domain/ipv4";
import { NodeKind, PortRule, TrafficSource } from "../../domain/ports";
import { PropsValidator } from "../validation";

export interface NodeSecurityGroupsProps {
  /** Prefix of the security-group names, e.g. the datacenter name. */
  readonly namePrefix: string;
  /** The datacenter's own network. */
  readonly datacenterCidr: string;
  /** Operators: SSH and the HTTPS API. None wider than a /8, and no more public space than a /8 together. */
  readonly adminCidrs: readonly string[];
  /** Prometheus scrapers of the gateways' Envoy metrics (may be empty; bounded like `adminCidrs`). */
  readonly monitoringCidrs: readonly string[];
  /** Where other datacenters' servers and gateways come from (their egress addresses). */
  readonly wanCidrs: readonly string[];
  /** Which port of which node kind is open to which source. */
  readonly matrix: readonly PortRule[];
}

/** One security group per node kind, with one ingress rule per (port, protocol, source CIDR). */
export class NodeSecurityGroups extends Construct {
  readonly groupIds: Readonly<Record<NodeKind, string>>;

  constructor(scope: Construct, id: string, props: NodeSecurityGroupsProps) {
    super(scope, id);
    const cidrsBySource: Record<Exclude<TrafficSource, "servers">, readonly string[]> = {
      datacenter: [props.datacenterCidr],
      admin: props.adminCidrs,
      monitoring: props.monitoringCidrs,
      wan: props.wanCidrs,
    };
    const validator = new PropsValidator(this);
    validator.check(
      props.adminCidrs.length > 0,
      "adminCidrs",
      "must list at least one CIDR (the operators' addresses)",
    );
    for (const source of ["datacenter", "admin", "monitoring", "wan"] as const) {
      for (const cidr of cidrsBySource[source]) {
        const parsed = parseIpv4Cidr(cidr);
        validator.check(parsed.ok, `${source}Cidrs`, parsed.ok ? "" : parsed.problem);
      }
    }
    // Everything but the mesh port (mTLS, open to other datacenters) is for operators and the datacenter itself.
    for (const source of ["admin", "monitoring", "datacenter"] as const) {
      const ports = [...new Set(props.matrix.filter((rule) => rule.sources.includes(source)).map((rule) => rule.port))];
      for (const problem of operatorReachProblems(cidrsBySource[source], `${source} ports (${ports.join(", ")})`)) {
        validator.check(false, `${source}Cidrs`, problem);
      }
    }
    validator.throwIfInvalid();

    const groups = {} as Record<NodeKind, string>;
    for (const kind of ["server", "gateway"] as const) {
      groups[kind] = new NetworkingSecgroupV2(this, kind, {
        name: `${props.namePrefix}-consul-${kind}`,
        description: `Consul ${kind} nodes of ${props.namePrefix}: generated from the port matrix`,
      }).id;
    }
    for (const kind of ["server", "gateway"] as const) {
      // One ingress rule of this kind's group, for one port and protocol, from one source (a CIDR or a group).
      const ingress = (rule: PortRule, id: string, source: string, remote: IngressRemote) =>
        new NetworkingSecgroupRuleV2(this, `${kind}-${rule.port}-${rule.protocol}-${id}`, {
          securityGroupId: groups[kind],
          direction: "ingress",
          ethertype: "IPv4",
          protocol: rule.protocol,
          portRangeMin: rule.port,
          portRangeMax: rule.port,
          ...remote,
          description: `${rule.purpose} from ${source}`,
        });
      for (const rule of props.matrix.filter((r) => r.kinds.includes(kind))) {
        for (const source of rule.sources) {
          if (source === "servers") {
            // Membership, not addresses: the subnet also holds the DHCP pool and, on an existing network, other
            // projects' machines.
            ingress(rule, "servers", "servers", { remoteGroupId: groups.server });
            continue;
          }
          for (const cidr of cidrsBySource[source]) {
            ingress(rule, `${source}-${cidr.replace(/[./]/g, "-")}`, source, { remoteIpPrefix: cidr });
          }
        }
      }
    }
    this.groupIds = groups;
  }
}

/** Where an ingress rule lets traffic in from: addresses, or the members of a security group. */
type IngressRemote = { readonly remoteIpPrefix: string } | { readonly remoteGroupId: string };
