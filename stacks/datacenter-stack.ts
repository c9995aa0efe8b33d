import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { ComputeKeypairV2 } from "../.gen/providers/openstack/compute-keypair-v2";
import { ComputeServergroupV2 } from "../.gen/providers/openstack/compute-servergroup-v2";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import { ADDRESS_PLAN, type DatacenterConfig, type FederationConfig } from "../config/schema";
import { CONSUL_PORTS } from "../constructs/consul/agent-config";
import { ConsulServerNode, MeshGatewayNode } from "../constructs/consul/consul-nodes";
import { FederationSecrets } from "../constructs/consul/federation-secrets";
import type { ConsulNodePackages } from "../constructs/consul/node-files";
import { DatacenterNetwork } from "../constructs/network/datacenter-network";
import { NodeSecurityGroups } from "../constructs/security/security-groups";

export interface DatacenterStackProps {
  readonly federation: FederationConfig;
  readonly datacenter: DatacenterConfig;
  /** Secondaries: the primary's stack, whose CA, gossip key and gateways they use. */
  readonly primary?: DatacenterStack;
}

/**
 * Terraform state lives next to the project, outside the synth output (which every synth rewrites).
 * The path is relative to the stack's working directory, cdktf.out/stacks/<stack>, so that the
 * synthesized JSON holds no absolute path and stays identical on every machine.
 */
export function localStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

export function serverNodeName(datacenter: string, index: number): string {
  return `${datacenter}-server-${index + 1}`;
}

export function gatewayNodeName(datacenter: string, index: number): string {
  return `${datacenter}-gateway-${index + 1}`;
}

/** Debian packages and repositories from the federation's versions and repository settings. */
export function nodePackages(federation: FederationConfig): ConsulNodePackages {
  const { hashicorp, envoy } = federation.packages;
  const [major, minor] = federation.envoy.version.split(".");
  const exactEnvoy = federation.envoy.version.split(".").length === 3;
  return {
    consulVersion: `${federation.consul.version}-1`,
    envoy: { name: `envoy-${major}.${minor}`, version: exactEnvoy ? federation.envoy.version : undefined },
    repositories: {
      hashicorp: {
        source: `deb [signed-by=$KEY_FILE] ${hashicorp.url} ${hashicorp.suite} main`,
        keyid: hashicorp.keyFingerprint,
        keyserver: hashicorp.keyserver,
      },
      envoy: {
        source: `deb [signed-by=$KEY_FILE] ${envoy.url} ${envoy.suite} main`,
        keyid: envoy.keyFingerprint,
        keyserver: envoy.keyserver,
      },
    },
  };
}

/** The infrastructure of one Consul datacenter, in its own OpenStack region (and possibly cloud). */
export class DatacenterStack extends TerraformStack {
  readonly datacenter: DatacenterConfig;
  readonly secrets: FederationSecrets;
  readonly servers: ConsulServerNode[] = [];
  readonly gateways: MeshGatewayNode[] = [];

  constructor(scope: Construct, id: string, props: DatacenterStackProps) {
    super(scope, id);
    const { federation, datacenter } = props;
    this.datacenter = datacenter;
    new LocalBackend(this, { path: localStatePath(id) });

    const openstack = datacenter.openstack;
    new OpenstackProvider(this, "openstack", {
      cloud: openstack.cloud ?? federation.openstack.cloud,
      region: openstack.region,
    });
    new TlsProvider(this, "tls");
    new RandomProvider(this, "random");

    if (datacenter.primary === (props.primary !== undefined)) {
      throw new Error(`${this.node.path}: a primary datacenter takes no primary stack; a secondary needs one`);
    }
    this.secrets = props.primary?.secrets ?? new FederationSecrets(this, "federation-secrets");
    const primaryDatacenter = props.primary?.datacenter.name ?? datacenter.name;

    const keyPair = new ComputeKeypairV2(this, "operator-key", {
      name: `${datacenter.name}-consul-operator`,
      publicKey: federation.ssh.publicKey,
    });
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
    const serverGroup = new ComputeServergroupV2(this, "server-group", {
      name: `${datacenter.name}-consul-servers`,
      policies: ["anti-affinity"],
    });

    const serverIps = Array.from({ length: datacenter.servers.count }, (_, i) =>
      network.address(ADDRESS_PLAN.firstServerOffset + i),
    );
    const common = {
      datacenter: datacenter.name,
      primaryDatacenter,
      domain: federation.consul.domain,
      interfaceName: openstack.interface,
      ca: this.secrets.ca,
      gossipKey: this.secrets.gossipKey,
      retryJoin: serverIps,
      packages: nodePackages(federation),
      sshUser: federation.ssh.user,
    };
    const vm = {
      imageName: openstack.image,
      keyPairName: keyPair.name,
      networkId: network.networkId,
      subnetId: network.subnetId,
      floatingIpPool: openstack.floatingIpPool ?? openstack.externalNetwork,
      availabilityZone: openstack.availabilityZone,
      networkReady: network.ready,
    };

    const primaryGateways = props.primary?.gatewayAddresses();
    serverIps.forEach((fixedIp, index) => {
      const previous = this.servers[index - 1];
      this.servers.push(
        new ConsulServerNode(this, serverNodeName(datacenter.name, index), {
          ...common,
          nodeName: serverNodeName(datacenter.name, index),
          serverCount: datacenter.servers.count,
          primaryGateways,
          dataVolume: { sizeGb: datacenter.servers.volumeSize, volumeType: openstack.volumeType },
          vm: {
            ...vm,
            flavorName: openstack.flavors.server,
            fixedIp,
            securityGroupIds: [securityGroups.groupIds.server],
            serverGroupId: serverGroup.id,
          },
          applyAfter: previous ? [previous.settingsApplied] : undefined,
        }),
      );
    });

    for (let index = 0; index < datacenter.gateways.count; index++) {
      const previous = this.gateways[index - 1];
      this.gateways.push(
        new MeshGatewayNode(this, gatewayNodeName(datacenter.name, index), {
          ...common,
          nodeName: gatewayNodeName(datacenter.name, index),
          vm: {
            ...vm,
            flavorName: openstack.flavors.gateway,
            fixedIp: network.address(ADDRESS_PLAN.firstGatewayOffset + index),
            securityGroupIds: [securityGroups.groupIds.gateway],
          },
          // Gateway agents obtain their certificates from the servers (auto_encrypt).
          applyAfter: previous ? [previous.settingsApplied] : this.servers.map((server) => server.settingsApplied),
        }),
      );
    }

    new TerraformOutput(this, "server-addresses", {
      description: "Floating IPs of the Consul servers (HTTPS API on 8501 from the admin CIDRs)",
      value: this.servers.map((server) => server.vm.publicIp),
    });
    new TerraformOutput(this, "gateway-addresses", {
      description: "WAN addresses of the mesh gateways",
      value: this.gatewayAddresses(),
    });
  }

  /** `<floating ip>:8443` of every mesh gateway: the `primary_gateways` of secondaries. */
  gatewayAddresses(): string[] {
    return this.gateways.map((gateway) => `${gateway.vm.publicIp}:${CONSUL_PORTS.meshGateway}`);
  }
}
