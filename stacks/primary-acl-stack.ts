import { ConsulProvider } from "@cdktf/provider-consul/lib/provider";
import { Fn, Op, TerraformStack } from "cdktf";
import { DataOpenstackComputeInstanceV2 } from "../.gen/providers/openstack/data-openstack-compute-instance-v2";
import { Construct } from "constructs";
import { AgentTokenDelivery } from "../constructs/consul/agent-token-delivery";
import { FederationAcls } from "../constructs/consul/federation-acls";
import { snapshotTokenFile } from "../constructs/consul/snapshot-backup";
import { terraformLiteral } from "../constructs/terraform-literal";
import type { AclRules } from "../domain/acl-rules";
import { CONSUL_PORTS } from "../domain/ports";
import type { DatacenterStack } from "./datacenter-stack";
import type { FederationPlan } from "./federation-plan";
import { configureStack, requiredTerraformVersion } from "./stack-setup";
import { routeTokens, TokenSecrets } from "./token-routing";

/**
 * The address of the primary's API: the first server whose VM runs, so that a server that is down,
 * rebuilt or replaced does not keep the ACL stack (and every stack after it) from planning. Nova's view is
 * what Terraform can ask at plan time; a server whose VM runs but whose agent does not answer is still
 * chosen, and then the plan says so.
 */
function apiAddress(scope: Construct, primary: DatacenterStack): string {
  const addresses = primary.servers.map((server) => Fn.join(":", [server.vm.publicIp, String(CONSUL_PORTS.https)]));
  const running = primary.servers.map((server, index) => {
    const instance = new DataOpenstackComputeInstanceV2(scope, `${server.node.id}-instance`, {
      id: server.vm.instance.id,
    });
    return Fn.conditional(Op.eq(Fn.lower(instance.powerState), "active"), addresses[index], "");
  });
  return Fn.element(Fn.concat([Fn.compact(running), [addresses[0]]]), 0);
}

/**
 * The primary's ACL layer, applied once its servers run: every policy and token of the federation
 * (managed with Terraform's management token over HTTPS, CA pinned; see domain/terraform-token.ts), the agent tokens of
 * the primary's servers handed to the running agents, and the proxy-defaults entry.
 */
export class PrimaryAclStack extends TerraformStack {
  /** Where the other stacks take their tokens from. */
  readonly tokens: TokenSecrets;

  constructor(scope: Construct, id: string, props: { plan: FederationPlan; primary: DatacenterStack }) {
    super(scope, id);
    const { plan, primary } = props;
    const federation = plan.config;
    configureStack(this, federation, primary.datacenter.config);
    new ConsulProvider(this, "consul", {
      address: apiAddress(this, primary),
      scheme: "https",
      // Every CA the servers' certificates may come from during a CA rotation: the provider's API client reads a
      // bundle into its pool (ca_pem, go-rootcerts' ConfigureTLS: "a PEM-encoded certificate or bundle").
      caPem: primary.secrets.caTrustBundle,
      token: primary.secrets.terraformToken,
      datacenter: primary.datacenter.name,
    });
    if (!plan.stage.acl) {
      this.tokens = {};
      return;
    }

    const acls = new FederationAcls(this, "acls", {
      datacenters: plan.datacenters.map((dc) => ({
        name: dc.name,
        role: dc.role,
        serverNodes: dc.servers.map((node) => node.name),
        gatewayNodes: dc.gateways.map((node) => node.name),
      })),
      proxyDefaults: plan.stage.mesh ? federation.consul.proxyDefaults : undefined,
      policies: federation.acl.policies.map((policy) => ({
        name: policy.name,
        description: policy.description === undefined ? undefined : terraformLiteral(policy.description),
        // Rules files were read and checked when the configuration was loaded.
        rules: policy.rules as AclRules,
        datacenters: policy.datacenters,
      })),
      // Descriptions as configured: the construct escapes what reaches Terraform.
      tokens: federation.acl.tokens,
      backups: federation.backups.enabled,
      federation: primary.datacenter.name,
      tokenRotation: federation.rotation.tokens,
    });
    // The forgotten token slots are `removed` blocks.
    this.addOverride("terraform.required_version", requiredTerraformVersion(federation, true));
    this.tokens = { acls };
    const secrets: TokenSecrets = { initialManagement: primary.secrets.initialManagementToken, acls };
    primary.servers.forEach((server, index) => {
      const routed = routeTokens(primary.datacenter.servers[index], federation.rollout.stage, secrets);
      const tokens = routed.agentApi;
      if (Object.keys(tokens).length === 0) return;
      new AgentTokenDelivery(this, `${server.node.id}-agent-token`, {
        host: server.vm.publicIp,
        hostKey: federation.ssh.pinHostKeys ? server.hostKey.publicKey : undefined,
        sshUser: federation.ssh.user,
        tokens,
        files: routed.aclStackBackupCredential ? [snapshotTokenFile(routed.aclStackBackupCredential)] : [],
        managementToken: primary.secrets.terraformToken,
        target: server.vm.machine,
        dropInitialManagement: true,
      });
    });
  }
}
