import { Construct } from "constructs";
import { NetworkingSecgroupRuleV2 } from "../../.gen/providers/openstack/networking-secgroup-rule-v2";
import { NetworkingSecgroupV2 } from "../../.gen/providers/openstack/networking-secgroup-v2";
import { parseIpv4Cidr } from "../../config/ipv4";
import { PropsValidator } from "../validation";
import { NodeRole, PORT_MATRIX, PortRule, TrafficSource } from "./port-matrix";

export interface NodeSecurityGroupsProps {
  /** Prefix of the security-group names, e.g. the datacenter name. */
  readonly namePrefix: string;
  /** The datacenter's own network. */
  readonly datacenterCidr: string;
  /** Operators: SSH and the HTTPS API. Must not be the whole internet. */
  readonly adminCidrs: readonly string[];
  /** Prometheus scrapers of the gateways' Envoy metrics. @default none */
  readonly monitoringCidrs?: readonly string[];
  /** Where other datacenters' servers and gateways come from (their egress addresses). @default ["0.0.0.0/0"] */
  readonly wanCidrs?: readonly string[];
  /** The port matrix. @default PORT_MATRIX */
  readonly matrix?: readonly PortRule[];
}

const INTERNET = "0.0.0.0/0";

/** One security group per node role, with one ingress rule per (port, protocol, source CIDR). */
export class NodeSecurityGroups extends Construct {
  readonly groupIds: Readonly<Record<NodeRole, string>>;

  constructor(scope: Construct, id: string, props: NodeSecurityGroupsProps) {
    super(scope, id);
    const cidrsBySource: Record<TrafficSource, readonly string[]> = {
      datacenter: [props.datacenterCidr],
      admin: props.adminCidrs,
      monitoring: props.monitoringCidrs ?? [],
      wan: props.wanCidrs ?? [INTERNET],
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
    for (const source of ["admin", "monitoring", "datacenter"] as const) {
      validator.check(
        !cidrsBySource[source].includes(INTERNET),
        `${source}Cidrs`,
        `${INTERNET} would open ${source} ports (SSH, the API, metrics) to the whole internet (list the operators' networks)`,
      );
    }
    validator.throwIfInvalid();

    const matrix = props.matrix ?? PORT_MATRIX;
    const groups = {} as Record<NodeRole, string>;
    for (const role of ["server", "gateway"] as const) {
      const group = new NetworkingSecgroupV2(this, role, {
        name: `${props.namePrefix}-consul-${role}`,
        description: `Consul ${role} nodes of ${props.namePrefix}: generated from the port matrix`,
      });
      groups[role] = group.id;
      for (const rule of matrix.filter((r) => r.roles.includes(role))) {
        for (const source of rule.sources) {
          for (const cidr of cidrsBySource[source]) {
            new NetworkingSecgroupRuleV2(
              this,
              `${role}-${rule.port}-${rule.protocol}-${source}-${cidr.replace(/[./]/g, "-")}`,
              {
                securityGroupId: group.id,
                direction: "ingress",
                ethertype: "IPv4",
                protocol: rule.protocol,
                portRangeMin: rule.port,
                portRangeMax: rule.port,
                remoteIpPrefix: cidr,
                description: `${rule.purpose} from ${source}`,
              },
            );
          }
        }
      }
    }
    this.groupIds = groups;
  }
}
