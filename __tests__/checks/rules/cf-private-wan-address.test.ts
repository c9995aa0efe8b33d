import { rule } from "../../../checks/rules/cf-private-wan-address";
import { MeshGatewayNode } from "../../../constructs/consul/mesh-gateway-node";
import { deliveryOf, findings, ruleIds } from "../../support/checks";
import { gatewayNodeProps, testStack } from "../../support/fixtures";

describe("CF-PRIVATE-WAN-ADDRESS", () => {
  it("is quiet on a gateway that advertises its floating IP", () => {
    const stack = testStack("s");
    new MeshGatewayNode(stack, "gateway", gatewayNodeProps(stack));
    expect(findings(stack, "enforced", [rule])).toEqual([]);
  });

  it("fires on a private advertise_addr_wan and on a gateway's private -wan-address", () => {
    const stack = testStack("s");
    deliveryOf(stack, "agent", { node_name: "dc1-gateway-1", advertise_addr_wan: "10.2.0.10" });
    deliveryOf(
      stack,
      "gateway",
      { node_name: "dc1-gateway-2", advertise_addr_wan: "198.51.100.7" },
      { environment: "LAN_ADDRESS=10.1.0.31\nWAN_ADDRESS=192.168.0.31\n" },
    );
    const found = findings(stack, "enforced", [rule]);
    expect(ruleIds(found)).toEqual(["CF-PRIVATE-WAN-ADDRESS", "CF-PRIVATE-WAN-ADDRESS"]);
    expect(found.map((f) => f.message)).toEqual([
      expect.stringMatching(/dc1-gateway-1 advertises the private WAN address 10\.2\.0\.10/),
      expect.stringMatching(/dc1-gateway-2 advertises the private WAN address 192\.168\.0\.31/),
    ]);
  });
});
