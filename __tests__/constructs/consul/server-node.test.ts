import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";
import { ComputeInstanceV2 } from "../../../.gen/providers/openstack/compute-instance-v2";
import { ConsulServerNode } from "../../../constructs/consul/server-node";
import { serverNodeProps, testStack } from "../../support/fixtures";
import { resourcesOf } from "../../support/synth";

describe("ConsulServerNode", () => {
  it("never replaces its VM for a change of user_data, and keeps its data volume", () => {
    const scope = testStack();
    new ConsulServerNode(scope, "server", serverNodeProps(scope));
    const json = Testing.synth(scope);
    expect(json).toHaveResourceWithProperties(ComputeInstanceV2, { lifecycle: { ignore_changes: ["user_data"] } });
    const volume = Object.values(resourcesOf(json, "openstack_blockstorage_volume_v3"))[0];
    expect(volume.lifecycle).toEqual({ prevent_destroy: true });
  });

  it("validates its props with the construct path", () => {
    const scope = testStack();
    expect(
      () =>
        new ConsulServerNode(
          scope,
          "server",
          serverNodeProps(scope, { nodeName: "dc1-server-1.novalocal", serverCount: 2 }),
        ),
    ).toThrow(
      /^test\/server: nodeName: .* must be short, lowercase and without dots[\s\S]*test\/server: serverCount: 2 must be odd/,
    );
  });

  it("refuses primary_gateways in the primary datacenter", () => {
    const scope = testStack();
    expect(
      () => new ConsulServerNode(scope, "server", serverNodeProps(scope, { primaryGateways: ["192.0.2.1:8443"] })),
    ).toThrow(/primaryGateways: are only for servers of secondary datacenters/);
  });

  it("delivers its files in a fixed order, each with its owner, mode and the units it restarts or reloads", () => {
    const scope = testStack();
    const server = new ConsulServerNode(scope, "server", serverNodeProps(scope));
    const delivery = server.node.findChild("settings") as unknown as { manifest: string };
    expect(delivery.manifest).toBe(
      [
        // The CA, the certificate and its key are reloaded (SIGHUP), so a renewal keeps the agent running.
        "0644\troot\troot\tca.pem\t/etc/consul.d/tls/ca.pem\t-\tconsul.service",
        "0640\troot\tconsul\tconsul.json\t/etc/consul.d/consul.json\tconsul.service\t-",
        "0644\troot\troot\tconsul.service\t/etc/systemd/system/consul.service\tconsul.service\t-",
        "0644\troot\troot\tresolved-consul.conf\t/etc/systemd/resolved.conf.d/consul.conf\tsystemd-resolved.service\t-",
        "0644\troot\troot\tagent.pem\t/etc/consul.d/tls/agent.pem\t-\tconsul.service",
        "0640\troot\tconsul\tagent-key.pem\t/etc/consul.d/tls/agent-key.pem\t-\tconsul.service",
        "0600\troot\troot\tssh_host_ed25519_key\t/etc/ssh/ssh_host_ed25519_key\tssh.service\t-",
        "0644\troot\troot\tssh_host_ed25519_key.pub\t/etc/ssh/ssh_host_ed25519_key.pub\tssh.service\t-",
        "",
      ].join("\n"),
    );
  });
});
