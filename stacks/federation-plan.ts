import type { DatacenterConfig, FederationConfig } from "../config/schema";
import { parseIpv4Cidr } from "../domain/ipv4";
import { DatacenterPlan, planDatacenter } from "../domain/layout";
import { StageSettings, stageSettings } from "../domain/stages";

/** A datacenter's layout together with the configuration entry it comes from. */
export interface PlannedDatacenter extends DatacenterPlan {
  readonly config: DatacenterConfig;
  /** Its position in the configuration's `datacenters` (for field paths in messages). */
  readonly index: number;
}

/** The federation as the stacks build it: every datacenter's nodes and roles, resolved once. */
export interface FederationPlan {
  readonly config: FederationConfig;
  readonly stage: StageSettings;
  readonly primary: PlannedDatacenter;
  readonly secondaries: readonly PlannedDatacenter[];
  /**
   * Every datacenter the federation runs, in the configuration's order: not the decommissioned ones, so that
   * nothing (certificates, ACL objects, keyring counts, the picture) is made or expected for them any more.
   */
  readonly datacenters: readonly PlannedDatacenter[];
  /** Secondaries marked `decommission: true`: their stacks destroy what they made (decommissioned-datacenter-stack.ts). */
  readonly decommissioned: readonly PlannedDatacenter[];
}

export function planFederation(config: FederationConfig): FederationPlan {
  const primaryConfig = config.datacenters.find((datacenter) => datacenter.primary);
  if (!primaryConfig) throw new Error("the validated configuration has no primary datacenter");
  const datacenters = config.datacenters.map((datacenter, index): PlannedDatacenter => {
    const cidr = parseIpv4Cidr(datacenter.openstack.network.cidr);
    if (!cidr.ok) throw new Error(`datacenter ${datacenter.name}: ${cidr.problem}`);
    const layout = planDatacenter({
      name: datacenter.name,
      primaryDatacenter: primaryConfig.name,
      cidr: cidr.cidr,
      servers: datacenter.servers.count,
      gateways: datacenter.gateways.count,
    });
    return { ...layout, config: datacenter, index };
  });
  const running = datacenters.filter((datacenter) => !datacenter.config.decommission);
  return {
    config,
    stage: stageSettings(config.rollout.stage),
    primary: running.find((datacenter) => datacenter.role === "primary") as PlannedDatacenter,
    secondaries: running.filter((datacenter) => datacenter.role === "secondary"),
    datacenters: running,
    decommissioned: datacenters.filter((datacenter) => datacenter.config.decommission),
  };
}
