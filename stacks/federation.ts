import { Construct } from "constructs";
import type { FederationConfig } from "../config/schema";
import { DatacenterStack } from "./datacenter-stack";

export interface Federation {
  readonly primary: DatacenterStack;
  readonly secondaries: readonly DatacenterStack[];
  readonly stacks: readonly DatacenterStack[];
}

/** Creates every stack of the federation described by a validated configuration. */
export function buildFederation(scope: Construct, federation: FederationConfig): Federation {
  const primaryConfig = federation.datacenters.find((datacenter) => datacenter.primary);
  if (!primaryConfig) throw new Error("the validated configuration has no primary datacenter");
  const primary = new DatacenterStack(scope, primaryConfig.name, { federation, datacenter: primaryConfig });
  const secondaries = federation.datacenters
    .filter((datacenter) => datacenter !== primaryConfig)
    .map((datacenter) => new DatacenterStack(scope, datacenter.name, { federation, datacenter, primary }));
  const byName = new Map([primary, ...secondaries].map((stack) => [stack.datacenter.name, stack]));
  // Stacks in the order of the configuration file, so outputs and snapshots follow the file.
  const stacks = federation.datacenters.map((datacenter) => byName.get(datacenter.name) as DatacenterStack);
  return { primary, secondaries, stacks };
}
