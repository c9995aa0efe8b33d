import { ITerraformDependable, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { DatacenterConfig, FederationConfig } from "../config/schema";
import { ConsulServerNode, MeshGatewayNode } from "../constructs/consul/consul-nodes";
import type { FederationSecrets } from "../constructs/consul/federation-secrets";
import type { ConsulNodePackages } from "../constructs/consul/node-files";
import { DatacenterFoundation, datacenterAddresses } from "./datacenter-foundation";
import type { AgentSettings } from "../constructs/consul/agent-config";
import { aclSettings, AclAgentOptions, StageSettings } from "./rollout";

/** The agents' production settings from the configuration. */
export function agentSettings(federation: FederationConfig): AgentSettings {
  const { agent, dns, altDomain } = federation.consul;
  return {
    logLevel: agent.logLevel,
    raftMultiplier: agent.raftMultiplier,
    ui: agent.ui,
    prometheusRetentionTime: agent.prometheusRetentionTime,
    disableHostname: agent.disableHostname,
    leaveOnTerminate: agent.leaveOnTerminate,
    altDomain,
    recursors: dns.recursors,
    enableTruncate: dns.enableTruncate,
    udpAnswerLimit: dns.udpAnswerLimit,
  };
}

function aclOptions(federation: FederationConfig): AclAgentOptions {
  return {
    downPolicy: federation.consul.agent.aclDownPolicy,
    tokenPersistence: federation.consul.agent.aclTokenPersistence,
  };
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
  const [major, minor, patch] = federation.envoy.version.split(".");
  return {
    consulVersion: `${federation.consul.version}-1`,
    envoy: { name: `envoy-${major}.${minor}`, version: patch === undefined ? undefined : federation.envoy.version },
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

/** Secrets a datacenter's agents start with; absent before the `acl` stage. */
export interface NodeTokens {
  readonly agent?: (node: string) => string;
  readonly gateway?: (node: string) => string;
  readonly replication?: string;
  readonly initialManagement?: string;
}

export interface NodeGroupContext {
  readonly federation: FederationConfig;
  readonly datacenter: DatacenterConfig;
  readonly foundation: DatacenterFoundation;
  readonly secrets: FederationSecrets;
  readonly primaryDatacenter: string;
  readonly stage: StageSettings;
  readonly tokens: NodeTokens;
  /** Secondaries: `<address>:8443` of every primary gateway. */
  readonly primaryGateways?: readonly string[];
}

function common(scope: Construct, ctx: NodeGroupContext, flavorName: string, fixedIp: string, securityGroupId: string) {
  const { federation, datacenter, foundation, secrets } = ctx;
  const openstack = datacenter.openstack;
  return {
    datacenter: datacenter.name,
    primaryDatacenter: ctx.primaryDatacenter,
    domain: federation.consul.domain,
    interfaceName: openstack.interface,
    ca: secrets.ca,
    gossipKey: secrets.gossipKey,
    retryJoin: datacenterAddresses(datacenter).servers,
    packages: nodePackages(federation),
    sshUser: federation.ssh.user,
    settings: agentSettings(federation),
    connect: ctx.stage.mesh,
    vm: {
      imageName: openstack.image,
      flavorName,
      keyPairName: foundation.keyPairName,
      networkId: foundation.networkId,
      subnetId: foundation.subnetId,
      fixedIp,
      securityGroupIds: [securityGroupId],
      floatingIpPool: openstack.floatingIpPool ?? openstack.externalNetwork,
      availabilityZone: openstack.availabilityZone,
      // Across stacks, the stack dependency orders the network first.
      networkReady: TerraformStack.of(scope) === TerraformStack.of(foundation) ? foundation.networkReady : undefined,
    },
  };
}

/**
 * The datacenter's servers, chained so that settings roll one server at a time; the last one waits
 * for a leader, so whatever depends on the servers finds a working cluster.
 */
export function addServers(scope: Construct, ctx: NodeGroupContext): ConsulServerNode[] {
  const { datacenter } = ctx;
  const secondary = datacenter.name !== ctx.primaryDatacenter;
  const servers: ConsulServerNode[] = [];
  datacenterAddresses(datacenter).servers.forEach((fixedIp, index, all) => {
    const nodeName = serverNodeName(datacenter.name, index);
    const previous = servers[index - 1];
    const base = common(scope, ctx, datacenter.openstack.flavors.server, fixedIp, ctx.foundation.serverSecurityGroupId);
    const serverCommon = { ...base, vm: { ...base.vm, serverGroupId: ctx.foundation.serverGroupId } };
    servers.push(
      new ConsulServerNode(scope, nodeName, {
        ...serverCommon,
        nodeName,
        serverCount: datacenter.servers.count,
        primaryGateways: secondary && ctx.stage.mesh ? ctx.primaryGateways : undefined,
        acl: aclSettings(
          ctx.stage,
          {
            initial_management: secondary ? undefined : ctx.tokens.initialManagement,
            agent: ctx.tokens.agent?.(nodeName),
            replication: secondary ? ctx.tokens.replication : undefined,
          },
          secondary,
          aclOptions(ctx.federation),
        ),
        dataVolume: { sizeGb: datacenter.servers.volumeSize, volumeType: datacenter.openstack.volumeType },
        applyAfter: previous ? [previous.settingsApplied] : undefined,
        waitForLeader: index === all.length - 1,
      }),
    );
  });
  return servers;
}

/** The datacenter's mesh gateways, after `after` (the servers) and one at a time. */
export function addGateways(
  scope: Construct,
  ctx: NodeGroupContext,
  after: readonly ITerraformDependable[],
): MeshGatewayNode[] {
  const { datacenter } = ctx;
  const gateways: MeshGatewayNode[] = [];
  datacenterAddresses(datacenter).gateways.forEach((fixedIp, index) => {
    const nodeName = gatewayNodeName(datacenter.name, index);
    const previous = gateways[index - 1];
    gateways.push(
      new MeshGatewayNode(scope, nodeName, {
        ...common(scope, ctx, datacenter.openstack.flavors.gateway, fixedIp, ctx.foundation.gatewaySecurityGroupId),
        nodeName,
        acl: aclSettings(ctx.stage, { agent: ctx.tokens.agent?.(nodeName) }, false, aclOptions(ctx.federation)),
        startGateway: ctx.stage.mesh,
        gatewayToken: ctx.stage.acl ? ctx.tokens.gateway?.(nodeName) : undefined,
        // Gateway agents join through the servers, so they start after them.
        applyAfter: previous ? [previous.settingsApplied] : after.length > 0 ? after : undefined,
      }),
    );
  });
  return gateways;
}
