import { ConsulProvider } from "@cdktf/provider-consul/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import type { DatacenterConfig, FederationConfig } from "../config/schema";
import { FederationAcls } from "../constructs/acl/federation-acls";
import type { AclRules } from "../constructs/acl/rules";
import { CONSUL_PORTS } from "../constructs/consul/agent-config";
import { AgentTokenDelivery } from "../constructs/consul/agent-token-delivery";
import { ConsulServerNode, MeshGatewayNode } from "../constructs/consul/consul-nodes";
import { FederationSecrets } from "../constructs/consul/federation-secrets";
import { DatacenterFoundation } from "./datacenter-foundation";
import { addGateways, addServers, gatewayNodeName, NodeTokens, serverNodeName } from "./node-groups";
import { stageSettings } from "./rollout";

/**
 * Terraform state lives next to the project, outside the synth output (which every synth rewrites).
 * The path is relative to the stack's working directory, cdktf.out/stacks/<stack>, so that the
 * synthesized JSON holds no absolute path and stays identical on every machine.
 */
export function localStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

/** Backend and the providers every stack of a datacenter uses. */
/** terraform_data needs 1.4 and the provisioners' connection handling 1.5; the S3 lock file 1.10. */
export function requiredTerraformVersion(federation: FederationConfig): string {
  return federation.state.backend === "s3" ? ">= 1.10" : ">= 1.5";
}

/**
 * The stack's backend. S3 state carries a lock file (Terraform 1.10+) and skips the AWS-only checks, so
 * that any S3-compatible store (OpenStack object storage, Ceph RGW, MinIO) works.
 */
function configureBackend(stack: TerraformStack, federation: FederationConfig): void {
  const { backend, s3 } = federation.state;
  if (backend === "local" || !s3) {
    new LocalBackend(stack, { path: localStatePath(stack.node.id) });
    return;
  }
  new S3Backend(stack, {
    bucket: s3.bucket,
    key: `${s3.keyPrefix}/${stack.node.id}.tfstate`,
    region: s3.region,
    ...(s3.endpoint
      ? {
          endpoints: { s3: s3.endpoint },
          usePathStyle: true,
          skipCredentialsValidation: true,
          skipRegionValidation: true,
          skipRequestingAccountId: true,
          skipMetadataApiCheck: true,
        }
      : {}),
  });
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
  if (s3.endpoint) stack.addOverride("terraform.backend.s3.skip_s3_checksum", true);
}

function configureStack(stack: TerraformStack, federation: FederationConfig, datacenter: DatacenterConfig): void {
  configureBackend(stack, federation);
  stack.addOverride("terraform.required_version", requiredTerraformVersion(federation));
  new OpenstackProvider(stack, "openstack", {
    cloud: datacenter.openstack.cloud ?? federation.openstack.cloud,
    region: datacenter.openstack.region,
  });
  new TlsProvider(stack, "tls");
  new RandomProvider(stack, "random");
}

function addressOutputs(stack: TerraformStack, servers: ConsulServerNode[], gateways: MeshGatewayNode[]): void {
  if (servers.length > 0) {
    new TerraformOutput(stack, "server-addresses", {
      description: "Floating IPs of the Consul servers (HTTPS API on 8501 from the admin CIDRs)",
      value: servers.map((server) => server.vm.publicIp),
    });
  }
  if (gateways.length > 0) {
    new TerraformOutput(stack, "gateway-addresses", {
      description: "WAN addresses of the mesh gateways",
      value: gatewayAddresses(gateways),
    });
  }
}

/** `<floating ip>:8443` of every mesh gateway: the `primary_gateways` of secondaries. */
export function gatewayAddresses(gateways: readonly MeshGatewayNode[]): string[] {
  return gateways.map((gateway) => `${gateway.vm.publicIp}:${CONSUL_PORTS.meshGateway}`);
}

export interface DatacenterStackProps {
  readonly federation: FederationConfig;
  readonly datacenter: DatacenterConfig;
  readonly primaryDatacenter: string;
  /** The federation's CA and keys; created here when absent (the primary). */
  readonly secrets?: FederationSecrets;
  readonly tokens: NodeTokens;
  readonly primaryGateways?: readonly string[];
  /** Build the gateways in this stack too (secondaries); the primary's have a stack of their own. */
  readonly includeGateways: boolean;
}

/** A datacenter's network, security groups and servers (and, for secondaries, its gateways). */
export class DatacenterStack extends TerraformStack {
  readonly datacenter: DatacenterConfig;
  readonly secrets: FederationSecrets;
  readonly foundation: DatacenterFoundation;
  readonly servers: ConsulServerNode[];
  readonly gateways: MeshGatewayNode[];

  constructor(scope: Construct, id: string, props: DatacenterStackProps) {
    super(scope, id);
    const { federation, datacenter } = props;
    this.datacenter = datacenter;
    configureStack(this, federation, datacenter);
    this.secrets = props.secrets ?? new FederationSecrets(this, "federation-secrets");
    this.foundation = new DatacenterFoundation(this, "foundation", { federation, datacenter });
    const ctx = {
      federation,
      datacenter,
      foundation: this.foundation,
      secrets: this.secrets,
      primaryDatacenter: props.primaryDatacenter,
      stage: stageSettings(federation.rollout.stage),
      // The primary's servers bootstrap the ACL system with the management token Terraform made.
      tokens: props.secrets
        ? props.tokens
        : { ...props.tokens, initialManagement: this.secrets.initialManagementToken },
      primaryGateways: props.primaryGateways,
    };
    this.servers = addServers(this, ctx);
    this.gateways = props.includeGateways
      ? addGateways(
          this,
          ctx,
          this.servers.map((server) => server.settingsApplied),
        )
      : [];
    addressOutputs(this, this.servers, this.gateways);
  }
}

/**
 * The primary's ACL layer, applied once its servers run: every policy and token of the federation
 * (managed with the primary's initial management token over HTTPS, CA pinned), the agent tokens of
 * the primary's servers handed to the running agents, and the proxy-defaults entry.
 */
export class PrimaryAclStack extends TerraformStack {
  readonly acls?: FederationAcls;

  constructor(scope: Construct, id: string, props: { federation: FederationConfig; primary: DatacenterStack }) {
    super(scope, id);
    const { federation, primary } = props;
    configureStack(this, federation, primary.datacenter);
    const stage = stageSettings(federation.rollout.stage);
    new ConsulProvider(this, "consul", {
      address: `${primary.servers[0].vm.publicIp}:${CONSUL_PORTS.https}`,
      scheme: "https",
      caPem: primary.secrets.ca.certPem,
      token: primary.secrets.initialManagementToken,
      datacenter: primary.datacenter.name,
    });
    if (!stage.acl) return;

    this.acls = new FederationAcls(this, "acls", {
      primaryDatacenter: primary.datacenter.name,
      datacenters: federation.datacenters.map((dc) => ({
        name: dc.name,
        serverNodes: Array.from({ length: dc.servers.count }, (_, i) => serverNodeName(dc.name, i)),
        gatewayNodes: Array.from({ length: dc.gateways.count }, (_, i) => gatewayNodeName(dc.name, i)),
      })),
      proxyDefaults: stage.mesh ? federation.consul.proxyDefaults : undefined,
      policies: federation.acl.policies.map((policy) => ({
        name: policy.name,
        description: policy.description,
        // Rules files were read and checked when the configuration was loaded.
        rules: policy.rules as AclRules,
        datacenters: policy.datacenters,
      })),
      tokens: federation.acl.tokens,
    });
    for (const server of primary.servers) {
      new AgentTokenDelivery(this, `${server.node.id}-agent-token`, {
        host: server.vm.publicIp,
        sshUser: federation.ssh.user,
        agentToken: this.acls.agentTokenSecret(server.node.id),
        managementToken: primary.secrets.initialManagementToken,
        target: server.vm.instance.id,
      });
    }
  }

  /** Tokens for agents that start after this stack: the primary's gateways and every secondary. */
  tokensFor(datacenter: DatacenterConfig): NodeTokens {
    const acls = this.acls;
    if (!acls) return {};
    return {
      agent: (node) => acls.agentTokenSecret(node),
      gateway: (node) => acls.gatewayTokenSecret(node),
      replication: datacenter.primary ? undefined : acls.replicationTokenSecret(datacenter.name),
    };
  }
}

/** The primary's mesh gateways: they start once the primary's ACLs exist, before any secondary. */
export class PrimaryGatewaysStack extends TerraformStack {
  readonly gateways: MeshGatewayNode[];

  constructor(
    scope: Construct,
    id: string,
    props: { federation: FederationConfig; primary: DatacenterStack; tokens: NodeTokens },
  ) {
    super(scope, id);
    const { federation, primary } = props;
    configureStack(this, federation, primary.datacenter);
    this.gateways = addGateways(
      this,
      {
        federation,
        datacenter: primary.datacenter,
        foundation: primary.foundation,
        secrets: primary.secrets,
        primaryDatacenter: primary.datacenter.name,
        stage: stageSettings(federation.rollout.stage),
        tokens: props.tokens,
      },
      [],
    );
    addressOutputs(this, [], this.gateways);
  }
}
