import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { ComputeKeypairV2 } from "../.gen/providers/openstack/compute-keypair-v2";
import { ComputeServergroupV2 } from "../.gen/providers/openstack/compute-servergroup-v2";
import { ADDRESS_PLAN, type DatacenterConfig, type FederationConfig } from "../config/schema";
import { hostAddress, parseIpv4Cidr } from "../config/ipv4";
import { DatacenterNetwork } from "../constructs/network/datacenter-network";
import { NodeSecurityGroups } from "../constructs/security/security-groups";

/** What every node of a datacenter is placed on: key pair, network, security groups, server group. */
export class DatacenterFoundation extends Construct {
  readonly keyPairName: string;
  readonly networkId: string;
  readonly subnetId: string;
  readonly serverSecurityGroupId: string;
  readonly gatewaySecurityGroupId: string;
  readonly serverGroupId: string;
  readonly networkReady: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: { federation: FederationConfig; datacenter: DatacenterConfig }) {
    super(scope, id);
    const { federation, datacenter } = props;
    const openstack = datacenter.openstack;
    this.keyPairName = new ComputeKeypairV2(this, "operator-key", {
      name: `${datacenter.name}-consul-operator`,
      publicKey: federation.ssh.publicKey,
    }).name;
    const network = new DatacenterNetwork(this, "network", {
      namePrefix: datacenter.name,
      cidr: openstack.network.cidr,
      externalNetworkName: openstack.externalNetwork,
      existing: openstack.network.existing && {
        networkName: openstack.network.existing.network,
        subnetName: openstack.network.existing.subnet,
      },
      dhcpPoolStartOffset: ADDRESS_PLAN.dhcpPoolStartOffset,
    });
    const securityGroups = new NodeSecurityGroups(this, "security-groups", {
      namePrefix: datacenter.name,
      datacenterCidr: openstack.network.cidr,
      adminCidrs: federation.access.adminCidrs,
      monitoringCidrs: federation.access.monitoringCidrs,
      wanCidrs: federation.access.wanCidrs,
    });
    // A hypervisor failure must not take more than one server, or the datacenter loses quorum.
    this.serverGroupId = new ComputeServergroupV2(this, "server-group", {
      name: `${datacenter.name}-consul-servers`,
      policies: ["anti-affinity"],
    }).id;
    this.networkId = network.networkId;
    this.subnetId = network.subnetId;
    this.serverSecurityGroupId = securityGroups.groupIds.server;
    this.gatewaySecurityGroupId = securityGroups.groupIds.gateway;
    this.networkReady = network.ready;
  }
}

/** Fixed addresses of a datacenter's servers and gateways, from its CIDR and the address plan. */
export function datacenterAddresses(datacenter: DatacenterConfig): { servers: string[]; gateways: string[] } {
  const parsed = parseIpv4Cidr(datacenter.openstack.network.cidr);
  if (!parsed.ok) throw new Error(`datacenter ${datacenter.name}: ${parsed.problem}`);
  return {
    servers: Array.from({ length: datacenter.servers.count }, (_, i) =>
      hostAddress(parsed.cidr, ADDRESS_PLAN.firstServerOffset + i),
    ),
    gateways: Array.from({ length: datacenter.gateways.count }, (_, i) =>
      hostAddress(parsed.cidr, ADDRESS_PLAN.firstGatewayOffset + i),
    ),
  };
}
