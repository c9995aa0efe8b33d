import { Aspects } from "cdktf";
import { Construct } from "constructs";
import { FederationChecks } from "../constructs/checks/federation-checks";
import type { FederationConfig } from "../config/schema";
import { DatacenterStack, gatewayAddresses, PrimaryAclStack, PrimaryGatewaysStack } from "./datacenter-stack";

export interface Federation {
  readonly primary: DatacenterStack;
  readonly primaryAcl: PrimaryAclStack;
  readonly primaryGateways: PrimaryGatewaysStack;
  readonly secondaries: readonly DatacenterStack[];
  /** Every stack in deployment order. */
  readonly stacks: readonly (DatacenterStack | PrimaryAclStack | PrimaryGatewaysStack)[];
}

/**
 * Creates every stack of the federation in the order Consul's documentation brings a federation up:
 * the primary's servers (`<primary>`), its ACLs (`<primary>-acl`), its gateways (`<primary>-gateways`),
 * then each secondary (`<dc>`: servers, then gateways), secondaries independent of each other.
 */
export function buildFederation(scope: Construct, federation: FederationConfig): Federation {
  const primaryConfig = federation.datacenters.find((datacenter) => datacenter.primary);
  if (!primaryConfig) throw new Error("the validated configuration has no primary datacenter");
  const primaryDatacenter = primaryConfig.name;

  const primary = new DatacenterStack(scope, primaryDatacenter, {
    federation,
    datacenter: primaryConfig,
    primaryDatacenter,
    tokens: {},
    includeGateways: false,
  });
  const primaryAcl = new PrimaryAclStack(scope, `${primaryDatacenter}-acl`, { federation, primary });
  primaryAcl.addDependency(primary);
  const primaryGateways = new PrimaryGatewaysStack(scope, `${primaryDatacenter}-gateways`, {
    federation,
    primary,
    tokens: primaryAcl.tokensFor(primaryConfig),
  });
  primaryGateways.addDependency(primaryAcl);

  const secondaries = federation.datacenters
    .filter((datacenter) => !datacenter.primary)
    .map((datacenter) => {
      const stack = new DatacenterStack(scope, datacenter.name, {
        federation,
        datacenter,
        primaryDatacenter,
        secrets: primary.secrets,
        tokens: primaryAcl.tokensFor(datacenter),
        primaryGateways: gatewayAddresses(primaryGateways.gateways),
        includeGateways: true,
      });
      stack.addDependency(primaryGateways);
      return stack;
    });
  // cdktf applies the aspects of a stack and its children, not those of the app: add the checks to
  // every stack, one instance so that a finding is reported once.
  const checks = new FederationChecks({ stage: federation.rollout.stage, root: scope });
  for (const stack of [primary, primaryAcl, primaryGateways, ...secondaries]) Aspects.of(stack).add(checks);
  return {
    primary,
    primaryAcl,
    primaryGateways,
    secondaries,
    stacks: [primary, primaryAcl, primaryGateways, ...secondaries],
  };
}
