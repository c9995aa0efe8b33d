import { ConsulProvider } from "@cdktf/provider-consul/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Uuid } from "@cdktf/provider-random/lib/uuid";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { App, DataResource, LocalBackend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { DataOpenstackNetworkingNetworkV2 } from "../.gen/providers/openstack/data-openstack-networking-network-v2";
import { NetworkingSecgroupRuleV2 } from "../.gen/providers/openstack/networking-secgroup-rule-v2";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import type { StackShape } from "./stack-shape";

type Factory = (scope: Construct, id: string) => void;

// Static configuration only: the baseline is what cdktf itself costs for this many resources, without
// references, validation or rendering of ours.
const RESOURCE_FACTORIES: Record<string, Factory> = {
  openstack: (scope, id) =>
    new NetworkingSecgroupRuleV2(scope, id, {
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 8300,
      portRangeMax: 8300,
      remoteIpPrefix: "10.0.0.0/24",
      securityGroupId: "00000000-0000-0000-0000-000000000000",
    }),
  tls: (scope, id) => new PrivateKey(scope, id, { algorithm: "ECDSA", ecdsaCurve: "P256" }),
  random: (scope, id) => new Uuid(scope, id),
};

const PROVIDER_FACTORIES: Record<string, Factory> = {
  openstack: (scope, id) => new OpenstackProvider(scope, id, { cloud: "federation", region: "RegionOne" }),
  tls: (scope, id) => new TlsProvider(scope, id),
  random: (scope, id) => new RandomProvider(scope, id),
  consul: (scope, id) =>
    new ConsulProvider(scope, id, { address: "192.0.2.10:8501", scheme: "https", datacenter: "dc1" }),
};

const terraformData: Factory = (scope, id) => new DataResource(scope, id, { input: { node: id } });

/** Stacks with the same names, providers and resource and data counts as `shapes`, from plain resources. */
export function buildBareApp(app: App, shapes: readonly StackShape[]): void {
  for (const shape of shapes) {
    const stack = new TerraformStack(app, shape.name);
    new LocalBackend(stack, { path: `../../../terraform.${shape.name}.tfstate` });
    for (const provider of shape.providers) {
      const factory = PROVIDER_FACTORIES[provider];
      if (!factory) throw new Error(`stack ${shape.name}: the bare app has no provider "${provider}"`);
      factory(stack, provider);
    }
    for (let i = 0; i < shape.terraformData; i++) terraformData(stack, `terraform-data-${i}`);
    const kinds = shape.providers.flatMap((provider) => RESOURCE_FACTORIES[provider] ?? []);
    if (kinds.length === 0) throw new Error(`stack ${shape.name}: no provider of the bare app's plain resources`);
    for (let i = shape.terraformData; i < shape.resources; i++) kinds[i % kinds.length](stack, `resource-${i}`);
    for (let i = 0; i < shape.data; i++) {
      new DataOpenstackNetworkingNetworkV2(stack, `data-${i}`, { name: `network-${i}` });
    }
  }
}
