import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { LocalBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { DatacenterConfig, FederationConfig } from "../config/schema";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";

export interface DatacenterStackProps {
  readonly federation: FederationConfig;
  readonly datacenter: DatacenterConfig;
}

/**
 * Terraform state lives next to the project, outside the synth output (which every synth rewrites).
 * The path is relative to the stack's working directory, cdktf.out/stacks/<stack>, so that the
 * synthesized JSON holds no absolute path and stays identical on every machine.
 */
export function localStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

/** The infrastructure of one Consul datacenter, in its own OpenStack region (and possibly cloud). */
export class DatacenterStack extends TerraformStack {
  readonly datacenter: DatacenterConfig;

  constructor(scope: Construct, id: string, props: DatacenterStackProps) {
    super(scope, id);
    this.datacenter = props.datacenter;
    new LocalBackend(this, { path: localStatePath(id) });

    const openstack = props.datacenter.openstack;
    new OpenstackProvider(this, "openstack", {
      cloud: openstack.cloud ?? props.federation.openstack.cloud,
      region: openstack.region,
    });
    new TlsProvider(this, "tls");
    new RandomProvider(this, "random");
  }
}
