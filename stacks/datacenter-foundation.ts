import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { ComputeKeypairV2 } from "../.gen/providers/openstack/compute-keypair-v2";
import { ComputeServergroupV2 } from "../.gen/providers/openstack/compute-servergroup-v2";
import type { FederationConfig } from "../config/schema";
import { DatacenterNetwork } from "../constructs/network/datacenter-network";
import { NodeSecurityGroups } from "../constructs/security/security-groups";
import { ADDRESS_PLAN } from "../domain/layout";
import { portMatrix, portOf } from "../domain/ports";
import { terraformLiteral } from "../constructs/terraform-literal";
import { fromConfig } from "./config-fields";
import type { PlannedDatacenter } from "./federation-plan";

/** The federation's port matrix, with Envoy's metrics on the port `proxy-defaults` binds them to. */
export function federationPortMatrix(federation: FederationConfig) {
  return portMatrix({ envoyMetricsPort: portOf(federation.consul.proxyDefaults.envoyPrometheusBindAddr) });
}

/** What every node of a datacenter is placed on: key pair, network, security groups, server group. */
export class DatacenterFoundation extends Construct {
  readonly keyPairName: string;
  readonly networkId: string;
  readonly subnetId: string;
  readonly serverSecurityGroupId: string;
  readonly gatewaySecurityGroupId: string;
  readonly serverGroupId: string;
  readonly networkReady: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: { federation: FederationConfig; datacenter: PlannedDatacenter }) {
    super(scope, id);
    const { federation } = props;
    const { name, config, index } = props.datacenter;
    const openstack = config.openstack;
    const field = `datacenters[${index}].openstack`;
    this.keyPairName = new ComputeKeypairV2(this, "operator-key", {
      name: `${name}-consul-operator`,
      publicKey: terraformLiteral(federation.ssh.publicKey),
    }).name;
    const existing = openstack.network.existing;
    const network = fromConfig(
      {
        cidr: `${field}.network.cidr`,
        externalNetworkName: `${field}.externalNetwork`,
        existing: `${field}.network.existing`,
      },
      () =>
        new DatacenterNetwork(this, "network", {
          namePrefix: name,
          cidr: openstack.network.cidr,
          externalNetworkName: terraformLiteral(openstack.externalNetwork),
          existing: existing && {
            networkName: terraformLiteral(existing.network),
            subnetName: terraformLiteral(existing.subnet),
          },
          dhcpPoolStartOffset: ADDRESS_PLAN.dhcpPoolStartOffset,
        }),
    );
    const securityGroups = fromConfig(
      {
        adminCidrs: "access.adminCidrs",
        monitoringCidrs: "access.monitoringCidrs",
        wanCidrs: "access.wanCidrs",
        datacenterCidrs: `${field}.network.cidr`,
      },
      () =>
        new NodeSecurityGroups(this, "security-groups", {
          namePrefix: name,
          datacenterCidr: openstack.network.cidr,
          adminCidrs: federation.access.adminCidrs,
          monitoringCidrs: federation.access.monitoringCidrs,
          wanCidrs: federation.access.wanCidrs,
          matrix: federationPortMatrix(federation),
        }),
    );
    // A hypervisor failure must not take more than one server, or the datacenter loses quorum.
    this.serverGroupId = new ComputeServergroupV2(this, "server-group", {
      name: `${name}-consul-servers`,
      policies: ["anti-affinity"],
    }).id;
    this.networkId = network.networkId;
    this.subnetId = network.subnetId;
    this.serverSecurityGroupId = securityGroups.groupIds.server;
    this.gatewaySecurityGroupId = securityGroups.groupIds.gateway;
    this.networkReady = network.ready;
  }
}
