import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { FederationSecrets } from "../constructs/consul/federation-secrets";
import type { MeshGatewayNode } from "../constructs/consul/mesh-gateway-node";
import type { ConsulServerNode } from "../constructs/consul/server-node";
import { MESH_GATEWAY_PORT } from "../domain/ports";
import { DatacenterFoundation } from "./datacenter-foundation";
import { addGateways, addServers } from "./datacenter-nodes";
import type { FederationPlan, PlannedDatacenter } from "./federation-plan";
import { configureStack } from "./stack-setup";
import type { TokenSecrets } from "./token-routing";

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
}

/** A datacenter's network, security groups and servers (and, for secondaries, its gateways). */
export class DatacenterStack extends TerraformStack {
  readonly datacenter: PlannedDatacenter;
  readonly secrets: FederationSecrets;
  readonly foundation: DatacenterFoundation;
  readonly servers: ConsulServerNode[];
  readonly gateways: MeshGatewayNode[];

  constructor(scope: Construct, id: string, props: DatacenterStackProps) {
    super(scope, id);
    const { plan, datacenter } = props;
    this.datacenter = datacenter;
    configureStack(this, plan.config, datacenter.config);
    this.secrets = props.secrets ?? new FederationSecrets(this, "federation-secrets");
    this.foundation = new DatacenterFoundation(this, "foundation", { federation: plan.config, datacenter });
    const ctx = {
      plan,
      datacenter,
      foundation: this.foundation,
      secrets: this.secrets,
      // The primary's servers bootstrap the ACL system with the management token Terraform made.
      tokens: props.secrets ? (props.tokens ?? {}) : { initialManagement: this.secrets.initialManagementToken },
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
