import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";
import { DataOpenstackNetworkingSubnetV2 } from "../../../.gen/providers/openstack/data-openstack-networking-subnet-v2";
import { NetworkingRouterInterfaceV2 } from "../../../.gen/providers/openstack/networking-router-interface-v2";
import { NetworkingSubnetV2 } from "../../../.gen/providers/openstack/networking-subnet-v2";
import { DatacenterNetwork } from "../../../constructs/network/datacenter-network";
import { testStack } from "../../support/fixtures";

describe("DatacenterNetwork", () => {
  it("creates a subnet whose DHCP pool stays above the fixed addresses, routed to the external network", () => {
    const scope = testStack();
    const network = new DatacenterNetwork(scope, "net", {
      namePrefix: "dc1",
      cidr: "10.1.0.0/24",
      externalNetworkName: "public",
      dhcpPoolStartOffset: 64,
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
    const scope = testStack();
    new DatacenterNetwork(scope, "net", {
      namePrefix: "dc1",
      cidr: "10.1.0.0/24",
      existing: { networkName: "n", subnetName: "s" },
      dhcpPoolStartOffset: 64,
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
    expect(
      () =>
        new DatacenterNetwork(testStack(), "net", { namePrefix: "dc1", cidr: "10.1.0.0/24", dhcpPoolStartOffset: 64 }),
    ).toThrow(/^test\/net: externalNetworkName: is required to create a router/);
  });
});
