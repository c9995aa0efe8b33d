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
  const stacks = federation.datacenters.map(
    (datacenter) => new DatacenterStack(scope, datacenter.name, { federation, datacenter }),
  );
  const primary = stacks.find((stack) => stack.datacenter.primary);
  if (!primary) throw new Error("the validated configuration has no primary datacenter");
  return { primary, secondaries: stacks.filter((stack) => stack !== primary), stacks };
}
