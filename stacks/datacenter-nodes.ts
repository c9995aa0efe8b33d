import { ITerraformDependable, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { PinnedImage } from "../constructs/compute/pinned-image";
import type { FederationSecrets } from "../constructs/consul/federation-secrets";
import type { AgentCertificateSource, ConsulNodeProps } from "../constructs/consul/node-files";
import { MeshGatewayNode } from "../constructs/consul/mesh-gateway-node";
import { ConsulServerNode } from "../constructs/consul/server-node";
import type { PlannedNode } from "../domain/layout";
import {
  bootstrapsFromConfiguration,
  GLOBAL_MANAGEMENT_POLICY_ID,
  terraformTokenAccessorId,
  terraformTokenDescription,
} from "../domain/terraform-token";
import type { AclBootstrap } from "../domain/tokens";
import type { ManagementTokenProps } from "../constructs/consul/management-token";
import type { DatacenterFoundation } from "./datacenter-foundation";
import type { FederationPlan, PlannedDatacenter } from "./federation-plan";
import { aclSettings, agentSettings, backupSchedule, nodePackages } from "./node-settings";
import type { SnapshotStore } from "../constructs/storage/snapshot-store";
import { routeTokens, TokenSecrets } from "./token-routing";
import { optionalTerraformLiteral, terraformLiteral } from "../constructs/terraform-literal";

/** What the nodes of one datacenter are built from. */
export interface NodeGroupContext {
  readonly plan: FederationPlan;
  readonly datacenter: PlannedDatacenter;
  readonly foundation: DatacenterFoundation;
  readonly secrets: FederationSecrets;
  readonly tokens: TokenSecrets;
  /** The datacenter's OS image, pinned in the stack that holds the VMs. */
  readonly image: PinnedImage;
  /** Where each node's certificate comes from. */
  readonly certificates: (node: PlannedNode) => AgentCertificateSource;
  /** Secondaries: `<address>:<port>` of every primary gateway. */
  readonly primaryGateways?: readonly string[];
  /** The datacenter's snapshot container and its credential; none without backups. */
  readonly snapshots?: SnapshotStore;
}

/** The props every node of the datacenter shares, for one node. */
function nodeProps(
  scope: Construct,
  ctx: NodeGroupContext,
  node: PlannedNode,
  flavorName: string,
  securityGroupId: string,
  applyAfter: readonly ITerraformDependable[],
): ConsulNodeProps {
  const { plan, datacenter, foundation, secrets } = ctx;
  const federation = plan.config;
  const openstack = datacenter.config.openstack;
  return {
    nodeName: node.name,
    datacenter: datacenter.name,
    primaryDatacenter: datacenter.primaryDatacenter,
    domain: federation.consul.domain,
    caCertPem: secrets.caTrustBundle,
    certificate: ctx.certificates(node),
    gossipKey: secrets.gossipKey,
    retryJoin: datacenter.servers.map((server) => server.privateIp),
    packages: nodePackages(federation),
    sshUser: federation.ssh.user,
    pinHostKey: federation.ssh.pinHostKeys,
    aclsOffConfirmed: federation.rollout.confirmAclsOff,
    settings: agentSettings(federation),
    connect: plan.stage.mesh,
    applyAfter,
    vm: {
      imageId: ctx.image.imageId,
      flavorName: terraformLiteral(flavorName),
      keyPairName: foundation.keyPairName,
      networkId: foundation.networkId,
      subnetId: foundation.subnetId,
      fixedIp: node.privateIp,
      securityGroupIds: [securityGroupId],
      floatingIpPool: terraformLiteral(openstack.floatingIpPool ?? openstack.externalNetwork),
      availabilityZone: optionalTerraformLiteral(openstack.availabilityZone),
      // Across stacks, the stack dependency orders the network first.
      networkReady: TerraformStack.of(scope) === TerraformStack.of(foundation) ? foundation.networkReady : undefined,
      // One node at a time for rebuilds and resizes too: each VM waits for the previous node to be healthy.
      after: applyAfter,
      preventDestroy: !datacenter.config.replaceNodes.includes(node.name),
    },
  };
}

/**
 * A primary server's part in Terraform's management token from its first rotation on (domain/terraform-token.ts):
 * every generation's secret, newest first, down to the initial management token; none before that rotation, and
 * none on secondaries.
 */
function managementToken(ctx: NodeGroupContext): ManagementTokenProps | undefined {
  const { plan, datacenter, secrets } = ctx;
  const generation = plan.config.rotation.terraformToken;
  const initialManagement = ctx.tokens.initialManagement;
  if (bootstrapsFromConfiguration(generation) || datacenter.role !== "primary" || initialManagement === undefined) {
    return undefined;
  }
  return {
    generation,
    accessorId: terraformTokenAccessorId(datacenter.name, generation),
    description: terraformTokenDescription(generation),
    policyId: GLOBAL_MANAGEMENT_POLICY_ID,
    generations: [...secrets.terraformTokenGenerations, { generation: 0, secret: initialManagement }],
    servers: datacenter.servers.map((server) => server.privateIp),
  };
}

/**
 * The datacenter's servers, chained so that settings roll one server at a time; the last one waits
 * for a leader, so whatever depends on the servers finds a working cluster.
 */
export function addServers(scope: Construct, ctx: NodeGroupContext): ConsulServerNode[] {
  const { plan, datacenter } = ctx;
  const aclBootstrap: AclBootstrap = bootstrapsFromConfiguration(plan.config.rotation.terraformToken)
    ? "configuration"
    : "api";
  // The same for every server of the datacenter.
  const management = managementToken(ctx);
  const secondary = datacenter.role === "secondary";
  const servers: ConsulServerNode[] = [];
  for (const node of datacenter.servers) {
    const previous = servers.at(-1);
    const props = nodeProps(
      scope,
      ctx,
      node,
      datacenter.config.openstack.flavors.server,
      ctx.foundation.serverSecurityGroupId,
      previous ? [previous.settingsApplied] : [],
    );
    const tokens = routeTokens(node, plan.config.rollout.stage, ctx.tokens, aclBootstrap);
    servers.push(
      new ConsulServerNode(scope, node.name, {
        ...props,
        vm: { ...props.vm, serverGroupId: ctx.foundation.serverGroupId },
        serverCount: datacenter.servers.length,
        primaryGateways: secondary && plan.stage.mesh ? ctx.primaryGateways : undefined,
        acl: aclSettings(plan.config, plan.stage, tokens.agentConfig, secondary),
        dataVolume: {
          sizeGb: datacenter.config.servers.volumeSize,
          volumeType: optionalTerraformLiteral(datacenter.config.openstack.volumeType),
        },
        waitForLeader: node.index === datacenter.servers.length - 1,
        healthCheckToken: tokens.applyScript,
        managementToken: management,
        backup: ctx.snapshots && {
          ...backupSchedule(plan.config),
          container: ctx.snapshots.container,
          objectStoreLogin: ctx.snapshots.login,
          aclsEnabled: plan.stage.acl,
          snapshotToken: tokens.backupCredential,
        },
      }),
    );
  }
  return servers;
}

/** The datacenter's mesh gateways, after `after` (the servers) and one at a time. */
export function addGateways(
  scope: Construct,
  ctx: NodeGroupContext,
  after: readonly ITerraformDependable[],
): MeshGatewayNode[] {
  const { plan, datacenter } = ctx;
  const gateways: MeshGatewayNode[] = [];
  for (const node of datacenter.gateways) {
    const previous = gateways.at(-1);
    const tokens = routeTokens(node, plan.config.rollout.stage, ctx.tokens);
    gateways.push(
      new MeshGatewayNode(scope, node.name, {
        ...nodeProps(
          scope,
          ctx,
          node,
          datacenter.config.openstack.flavors.gateway,
          ctx.foundation.gatewaySecurityGroupId,
          // Gateway agents join through the servers, so they start after them.
          previous ? [previous.settingsApplied] : after,
        ),
        acl: aclSettings(plan.config, plan.stage, tokens.agentConfig, false),
        startGateway: plan.stage.mesh,
        envoyLogLevel: plan.config.envoy.logLevel,
        gatewayToken: tokens.gatewayEnvironment,
      }),
    );
  }
  return gateways;
}
