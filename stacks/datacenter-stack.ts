import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { PinnedImage } from "../constructs/compute/pinned-image";
import { optionalTerraformLiteral, terraformLiteral } from "../constructs/terraform-literal";
import { FederationSecrets } from "../constructs/consul/federation-secrets";
import { SnapshotStore } from "../constructs/storage/snapshot-store";
import { snapshotContainer } from "../domain/backups";
import type { MeshGatewayNode } from "../constructs/consul/mesh-gateway-node";
import type { ConsulServerNode } from "../constructs/consul/server-node";
import { MESH_GATEWAY_PORT } from "../domain/ports";
import { DatacenterFoundation } from "./datacenter-foundation";
import { addGateways, addServers } from "./datacenter-nodes";
import type { FederationPlan, PlannedDatacenter } from "./federation-plan";
import { caCertificateValidity, certificateValidity } from "./node-settings";
import { configureStack } from "./stack-setup";
import type { TokenSecrets } from "./token-routing";
import { FederationPki } from "./federation-pki";
import type { AgentCertificateSource } from "../constructs/consul/node-files";
import type { PlannedNode } from "../domain/layout";

/** Floating IPs of the servers and WAN addresses of the gateways, as outputs for operators. */
export function addressOutputs(stack: TerraformStack, servers: ConsulServerNode[], gateways: MeshGatewayNode[]): void {
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

/** `<floating ip>:<port>` of every mesh gateway: the `primary_gateways` of secondaries. */
export function gatewayAddresses(gateways: readonly MeshGatewayNode[]): string[] {
  return gateways.map((gateway) => `${gateway.vm.publicIp}:${MESH_GATEWAY_PORT}`);
}

export interface DatacenterStackProps {
  readonly plan: FederationPlan;
  readonly datacenter: PlannedDatacenter;
  /** The federation's CA and keys; created here when absent (the primary). */
  readonly secrets?: FederationSecrets;
  /** Secrets of the ACL stack; none for the primary, whose ACL stack comes after it. */
  readonly tokens?: TokenSecrets;
  /** Secondaries: the primary's gateways. */
  readonly primaryGateways?: readonly string[];
  /** Build the gateways in this stack too (secondaries); the primary's have a stack of their own. */
  readonly includeGateways: boolean;
  /** The primary's PKI, which issues this datacenter's certificates; none for the primary itself. */
  readonly pki?: FederationPki;
}

/** The construct ID of a datacenter's snapshot store, which fixes its container's address in the stack. */
export const SNAPSHOT_STORE_ID = "snapshots";

/** A datacenter's network, security groups and servers (and, for secondaries, its gateways). */
export class DatacenterStack extends TerraformStack {
  readonly datacenter: PlannedDatacenter;
  readonly secrets: FederationSecrets;
  /** The primary's: certificates of every node outside this stack, issued beside the CA. */
  readonly pki?: FederationPki;
  readonly foundation: DatacenterFoundation;
  readonly servers: ConsulServerNode[];
  readonly gateways: MeshGatewayNode[];

  constructor(scope: Construct, id: string, props: DatacenterStackProps) {
    super(scope, id);
    const { plan, datacenter } = props;
    this.datacenter = datacenter;
    configureStack(this, plan.config, datacenter.config);
    this.secrets =
      props.secrets ??
      new FederationSecrets(this, "federation-secrets", {
        caValidity: caCertificateValidity(plan.config),
        gossipKeyRotation: plan.config.rotation.gossipKey,
        caRotation: plan.config.rotation.ca,
        terraformTokenRotation: plan.config.rotation.terraformToken,
      });
    const validity = certificateValidity(plan.config);
    if (!props.pki) {
      this.pki = new FederationPki(this, "pki", {
        ca: this.secrets.ca,
        domain: plan.config.consul.domain,
        nodes: plan.datacenters.flatMap((dc) => (dc === datacenter ? dc.gateways : [...dc.servers, ...dc.gateways])),
        validity,
      });
    }
    const pki = props.pki ?? this.pki;
    const ca = this.secrets.ca;
    const image = new PinnedImage(this, "os-image", { imageName: terraformLiteral(datacenter.config.openstack.image) });
    this.foundation = new DatacenterFoundation(this, "foundation", { federation: plan.config, datacenter });
    const snapshots = plan.config.backups.enabled
      ? new SnapshotStore(this, SNAPSHOT_STORE_ID, {
          containerName: snapshotContainer(datacenter.name),
          region: terraformLiteral(datacenter.config.openstack.region),
          identityRegion: optionalTerraformLiteral(datacenter.config.openstack.identityRegion),
          description: `Consul snapshots of ${datacenter.name}: list, read, write and delete in its container only`,
        })
      : undefined;
    // Backups turned off keep what they saved.
    if (!snapshots) SnapshotStore.keepContainer(this, SNAPSHOT_STORE_ID);
    const ctx = {
      plan,
      datacenter,
      foundation: this.foundation,
      secrets: this.secrets,
      image,
      // The primary's servers bootstrap the ACL system with the management token Terraform made.
      tokens: props.secrets
        ? (props.tokens ?? {})
        : { initialManagement: this.secrets.initialManagementToken, terraform: this.secrets.terraformToken },
      primaryGateways: props.primaryGateways,
      snapshots,
      // The CA lives in this stack for the primary's servers; every other node's certificate comes from the PKI.
      certificates: (node: PlannedNode): AgentCertificateSource =>
        !props.pki && node.role.kind === "server"
          ? { issuer: ca, validity }
          : { issued: (pki as FederationPki).certificateOf(node) },
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
    if (this.pki) {
      new TerraformOutput(this, "ca-trust-bundle", {
        description:
          "The CA certificates every node trusts (previous, current and next generation): what HTTPS clients outside the federation (operators' CONSUL_CACERT, Nomad's consul.ca_file) must trust before a CA rotation",
        value: this.secrets.caTrustBundle,
      });
      new TerraformOutput(this, "certificate-expiry", {
        description:
          "When the CA and every node's certificate end (RFC 3339); a certificate within tls.renewBeforeDays of its end is issued again at the next deploy",
        value: {
          ca: this.secrets.ca.validityEndTime,
          ...Object.fromEntries(
            this.servers.flatMap((server) =>
              server.certificate ? [[server.node.id, server.certificate.validityEndTime]] : [],
            ),
          ),
          ...this.pki.validityEndTimes(),
        },
      });
    }
  }
}
