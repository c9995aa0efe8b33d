import { Aspects } from "cdktf";
import { Construct } from "constructs";
import { FederationChecks } from "../checks/engine";
import { FEDERATION_RULES } from "../checks/pack";
import type { FederationConfig } from "../config/schema";
import { stackNames } from "../domain/names";
import { DatacenterStack, gatewayAddresses } from "./datacenter-stack";
import { DecommissionedDatacenterStack } from "./decommissioned-datacenter-stack";
import { planFederation } from "./federation-plan";
import { PrimaryAclStack } from "./primary-acl-stack";
import { PrimaryGatewaysStack } from "./primary-gateways-stack";
import { PrimaryKeyringStack } from "./primary-keyring-stack";
import { gateCaRotation, recordCompletedRotations } from "./rotation-gate";

export interface Federation {
  readonly primary: DatacenterStack;
  readonly primaryAcl: PrimaryAclStack;
  readonly primaryGateways: PrimaryGatewaysStack;
  readonly secondaries: readonly DatacenterStack[];
  /** Stacks of decommissioned secondaries: they destroy what they made, right after the primary's stack. */
  readonly decommissioned: readonly DecommissionedDatacenterStack[];
  readonly primaryKeyring: PrimaryKeyringStack;
  /** Every stack in deployment order. */
  readonly stacks: readonly (
    DatacenterStack | DecommissionedDatacenterStack | PrimaryAclStack | PrimaryGatewaysStack | PrimaryKeyringStack
  )[];
}

/**
 * Creates every stack of the federation in the order Consul's documentation brings a federation up:
 * the primary's servers (`<primary>`), its ACLs (`<primary>-acl`), its gateways (`<primary>-gateways`),
 * then each secondary (`<dc>`: servers, then gateways), secondaries independent of each other, and last the
 * gossip keyring and the retirement of rotated tokens (`<primary>-keyring`), once every datacenter is federated.
 * It is also the order Consul documents for upgrading WAN-federated datacenters: the primary's servers, its
 * client agents (the gateways), then each secondary's servers and clients
 * (website/content/docs/upgrade/federated.mdx in hashicorp/consul). A secondary marked `decommission` keeps its
 * stack name but comes right after the primary's stack, where it destroys what it made.
 */
export function buildFederation(scope: Construct, federation: FederationConfig): Federation {
  const plan = planFederation(federation);
  const names = stackNames(plan.primary.name);

  const primary = new DatacenterStack(scope, names.primary, { plan, datacenter: plan.primary, includeGateways: false });
  // A decommissioned datacenter goes before the ACL stack deletes its tokens: its agents hold valid tokens until
  // their VMs are gone. It needs nothing from the primary; it follows it so that one deploy stays one sequence.
  const decommissioned = plan.decommissioned.map((datacenter) => {
    const stack = new DecommissionedDatacenterStack(scope, names.secondary(datacenter.name), { plan, datacenter });
    stack.addDependency(primary);
    return stack;
  });
  const primaryAcl = new PrimaryAclStack(scope, names.primaryAcl, { plan, primary });
  primaryAcl.addDependency(primary);
  for (const stack of decommissioned) primaryAcl.addDependency(stack);
  const primaryGateways = new PrimaryGatewaysStack(scope, names.primaryGateways, {
    plan,
    primary,
    tokens: primaryAcl.tokens,
  });
  primaryGateways.addDependency(primaryAcl);

  const secondaries = plan.secondaries.map((datacenter) => {
    const stack = new DatacenterStack(scope, names.secondary(datacenter.name), {
      plan,
      datacenter,
      secrets: primary.secrets,
      tokens: primaryAcl.tokens,
      primaryGateways: gatewayAddresses(primaryGateways.gateways),
      includeGateways: true,
      pki: primary.pki,
    });
    stack.addDependency(primaryGateways);
    return stack;
  });
  const primaryKeyring = new PrimaryKeyringStack(scope, names.primaryKeyring, {
    plan,
    primary,
    tokens: primaryAcl.tokens,
  });
  for (const stack of [primaryGateways, ...secondaries]) primaryKeyring.addDependency(stack);
  recordCompletedRotations(primaryKeyring, { ca: federation.rotation.ca }, primaryKeyring.steps);
  if (federation.rotation.ca > 0) gateCaRotation(primary, primaryKeyring, federation.rotation.ca);
  const stacks = [primary, ...decommissioned, primaryAcl, primaryGateways, ...secondaries, primaryKeyring];
  // cdktf applies the aspects of a stack and its children, not those of the app: one instance on every
  // stack, so that a finding is reported once.
  const checks = new FederationChecks({ stage: federation.rollout.stage, root: scope, rules: FEDERATION_RULES });
  for (const stack of stacks) Aspects.of(stack).add(checks);
  return { primary, primaryAcl, primaryGateways, secondaries, decommissioned, primaryKeyring, stacks };
}
