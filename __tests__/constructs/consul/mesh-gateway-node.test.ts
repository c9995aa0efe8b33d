import { exampleFiles } from "./../../support/example";
import { MeshGatewayNode } from "../../../constructs/consul/mesh-gateway-node";
import { meshGatewayCommand } from "../../../constructs/consul/system-files";
import { gatewayNodeProps, testStack } from "../../support/fixtures";

const files = exampleFiles();

describe("mesh gateways", () => {
  it("register with the flags WAN federation needs", () => {
    expect(meshGatewayCommand("info").join(" ")).toMatch(
      /^\/usr\/bin\/consul connect envoy -gateway=mesh -register -service \$\{GATEWAY_SERVICE\} -address \$\{LAN_ADDRESS\}:8443 -wan-address \$\{WAN_ADDRESS\}:8443 -expose-servers .* -- --log-level info$/,
    );
  });

  it("learn their addresses from an environment file: private LAN, floating WAN", () => {
    const env = files.get("nodes/prod2/prod2-gateway-2/mesh-gateway.env") as string;
    expect(env).toMatch(
      /^GATEWAY_SERVICE=mesh-gateway\nLAN_ADDRESS=10\.20\.0\.31\nWAN_ADDRESS=\$\{openstack_networking_floatingip_v2\.prod2-gateway-2_/,
    );
  });
});

describe("MeshGatewayNode", () => {
  const envOf = (gateway: MeshGatewayNode) =>
    (gateway.node.findChild("review") as unknown as { files: Record<string, string> }).files["mesh-gateway.env"];

  it("hands Envoy its token through the environment file, and none while ACLs are off", () => {
    const withToken = testStack();
    expect(
      envOf(new MeshGatewayNode(withToken, "gw", gatewayNodeProps(withToken, { gatewayToken: "secret" }))),
    ).toMatch(/\nCONSUL_HTTP_TOKEN=secret\n$/);
    const without = testStack();
    expect(envOf(new MeshGatewayNode(without, "gw", gatewayNodeProps(without)))).not.toMatch(/CONSUL_HTTP_TOKEN/);
  });
});
