import "cdktf/lib/testing/adapters/jest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { DataOpenstackNetworkingSubnetV2 } from "../../.gen/providers/openstack/data-openstack-networking-subnet-v2";
import { NetworkingRouterInterfaceV2 } from "../../.gen/providers/openstack/networking-router-interface-v2";
import { NetworkingSubnetV2 } from "../../.gen/providers/openstack/networking-subnet-v2";
import { loadFederationConfig } from "../../config/load";
import { DatacenterNetwork } from "../../constructs/network/datacenter-network";
import { PORT_MATRIX, renderPortMatrixMarkdown, SERVER_ONLY_PORTS } from "../../constructs/security/port-matrix";
import { NodeSecurityGroups } from "../../constructs/security/security-groups";
import { EXAMPLE_CONFIG_PATH, REPO_ROOT } from "../support/fixtures";
import { resourcesOf, synthesize } from "../support/synth";

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), "test");
}

describe("DatacenterNetwork", () => {
  it("creates a subnet whose DHCP pool stays above the fixed addresses, routed to the external network", () => {
    const scope = stack();
    const network = new DatacenterNetwork(scope, "net", {
      namePrefix: "dc1",
      cidr: "10.1.0.0/24",
      externalNetworkName: "public",
    });
    const json = Testing.synth(scope);
    expect(json).toHaveResourceWithProperties(NetworkingSubnetV2, {
      cidr: "10.1.0.0/24",
      gateway_ip: "10.1.0.1",
      allocation_pool: [{ start: "10.1.0.64", end: "10.1.0.254" }],
    });
    expect(json).toHaveResource(NetworkingRouterInterfaceV2);
    expect(network.address(10)).toBe("10.1.0.10");
  });

  it("attaches to an existing network and checks its subnet's CIDR at plan time", () => {
    const scope = stack();
    new DatacenterNetwork(scope, "net", {
      namePrefix: "dc1",
      cidr: "10.1.0.0/24",
      existing: { networkName: "n", subnetName: "s" },
    });
    const json = Testing.synth(scope);
    expect(json).not.toHaveResource(NetworkingSubnetV2);
    expect(json).toHaveDataSourceWithProperties(DataOpenstackNetworkingSubnetV2, { name: "s" });
    expect(JSON.parse(json).data.openstack_networking_subnet_v2).toEqual(
      expect.objectContaining({
        [Object.keys(JSON.parse(json).data.openstack_networking_subnet_v2)[0]]: expect.objectContaining({
          lifecycle: { postcondition: [expect.objectContaining({ condition: '${self.cidr == "10.1.0.0/24"}' })] },
        }),
      }),
    );
  });

  it("needs an external network to create a router", () => {
    expect(() => new DatacenterNetwork(stack(), "net", { namePrefix: "dc1", cidr: "10.1.0.0/24" })).toThrow(
      /^test\/net: externalNetworkName: is required to create a router/,
    );
  });
});

describe("NodeSecurityGroups", () => {
  const props = { namePrefix: "dc1", datacenterCidr: "10.1.0.0/24", adminCidrs: ["203.0.113.0/24"] };

  it("refuses to open admin ports to the whole internet", () => {
    expect(() => new NodeSecurityGroups(stack(), "sg", { ...props, adminCidrs: ["0.0.0.0/0"] })).toThrow(
      /^test\/sg: adminCidrs: 0\.0\.0\.0\/0 would open admin ports/,
    );
  });

  it("creates one rule per port, protocol and source CIDR", () => {
    const scope = stack();
    new NodeSecurityGroups(scope, "sg", { ...props, monitoringCidrs: ["198.51.100.0/28", "198.51.100.16/28"] });
    const rules = Object.values(resourcesOf(Testing.synth(scope), "openstack_networking_secgroup_rule_v2"));
    const expected = PORT_MATRIX.reduce(
      (sum, rule) =>
        sum + rule.roles.length * rule.sources.reduce((n, source) => n + (source === "monitoring" ? 2 : 1), 0),
      0,
    );
    expect(rules).toHaveLength(expected);
  });
});

describe("the port matrix of the example federation", () => {
  const { stacks } = synthesize(loadFederationConfig(EXAMPLE_CONFIG_PATH));
  const rules = [...stacks.values()].flatMap((json) =>
    Object.values(resourcesOf(json, "openstack_networking_secgroup_rule_v2")),
  );

  it("opens only the gateways' 8443/tcp to the internet", () => {
    const open = rules.filter((rule) => rule.remote_ip_prefix === "0.0.0.0/0");
    expect(open.length).toBeGreaterThan(0);
    expect(new Set(open.map((rule) => `${rule.port_range_min}/${rule.protocol}`))).toEqual(new Set(["8443/tcp"]));
  });

  it("never opens server RPC or serf WAN beyond the datacenter's own network", () => {
    const serverPorts = rules.filter((rule) => SERVER_ONLY_PORTS.includes(rule.port_range_min as number));
    expect(serverPorts.length).toBeGreaterThan(0);
    expect(new Set(serverPorts.map((rule) => rule.remote_ip_prefix))).toEqual(
      new Set(["10.10.0.0/24", "10.20.0.0/24", "10.30.0.0/24"]),
    );
  });

  it("reaches SSH only from the admin CIDRs", () => {
    const ssh = rules.filter((rule) => rule.port_range_min === 22);
    expect(new Set(ssh.map((rule) => rule.remote_ip_prefix))).toEqual(new Set(["203.0.113.0/24"]));
  });

  it("is printed in the README exactly as the code defines it", () => {
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain(renderPortMatrixMarkdown());
  });
});
