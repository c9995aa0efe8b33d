import "cdktf/lib/testing/adapters/jest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { ComputeInstanceV2 } from "../../.gen/providers/openstack/compute-instance-v2";
import { loadFederationConfig } from "../../config/load";
import { escapeTemplateSequences, SshFileDelivery } from "../../constructs/compute/ssh-file-delivery";
import { configKeyPaths } from "../../constructs/consul/agent-config";
import { ConsulServerNode, ConsulServerNodeProps } from "../../constructs/consul/consul-nodes";
import { meshGatewayCommand } from "../../constructs/consul/node-files";
import { CertificateAuthority } from "../../constructs/tls/certificate-authority";
import { nodePackages } from "../../stacks/node-groups";
import { collectReviewableFiles } from "../../stacks/reviewable-output";
import { EXAMPLE_CONFIG_PATH, REPO_ROOT } from "../support/fixtures";
import { resourcesOf, synthesize } from "../support/synth";

const CONSUL_KEYS = new Set<string>(
  JSON.parse(readFileSync(join(REPO_ROOT, "__tests__", "fixtures", "consul-agent-config-keys.json"), "utf8")).keys,
);
const config = loadFederationConfig(EXAMPLE_CONFIG_PATH);
const example = synthesize(config);
const files = collectReviewableFiles(example.app);
const agentConfigs = [...files].filter(([path]) => path.endsWith("/consul.json"));

function serverProps(scope: TerraformStack, overrides: Partial<ConsulServerNodeProps> = {}): ConsulServerNodeProps {
  return {
    nodeName: "dc1-server-1",
    datacenter: "dc1",
    primaryDatacenter: "dc1",
    vm: {
      imageName: "img",
      flavorName: "m1",
      keyPairName: "kp",
      networkId: "net",
      subnetId: "sub",
      fixedIp: "10.1.0.10",
      securityGroupIds: ["sg"],
      floatingIpPool: "public",
    },
    ca: new CertificateAuthority(scope, "ca"),
    gossipKey: "key",
    retryJoin: ["10.1.0.10"],
    packages: nodePackages(config),
    sshUser: "ubuntu",
    serverCount: 1,
    dataVolume: { sizeGb: 10 },
    ...overrides,
  };
}

describe("ConsulServerNode", () => {
  it("never replaces its VM for a change of user_data, and keeps its data volume", () => {
    const scope = new TerraformStack(Testing.app(), "test");
    new ConsulServerNode(scope, "server", serverProps(scope));
    const json = Testing.synth(scope);
    expect(json).toHaveResourceWithProperties(ComputeInstanceV2, { lifecycle: { ignore_changes: ["user_data"] } });
    const volume = Object.values(resourcesOf(json, "openstack_blockstorage_volume_v3"))[0];
    expect(volume.lifecycle).toEqual({ prevent_destroy: true });
  });

  it("validates its props with the construct path", () => {
    const scope = new TerraformStack(Testing.app(), "test");
    expect(
      () =>
        new ConsulServerNode(
          scope,
          "server",
          serverProps(scope, { nodeName: "dc1-server-1.novalocal", serverCount: 2 }),
        ),
    ).toThrow(
      /^test\/server: nodeName: .* must be short, lowercase and without dots[\s\S]*test\/server: serverCount: 2 must be odd/,
    );
  });

  it("refuses primary_gateways in the primary datacenter", () => {
    const scope = new TerraformStack(Testing.app(), "test");
    expect(
      () => new ConsulServerNode(scope, "server", serverProps(scope, { primaryGateways: ["192.0.2.1:8443"] })),
    ).toThrow(/primaryGateways: are only for servers of secondary datacenters/);
  });
});

describe("agent configuration of every node of the example", () => {
  it("has one configuration per node", () => {
    expect(agentConfigs.map(([path]) => path.split("/")[2])).toHaveLength(15);
  });

  it.each(agentConfigs)("%s uses only keys that Consul accepts", (_path, text) => {
    const unknown = configKeyPaths(JSON.parse(text)).filter((key) => !CONSUL_KEYS.has(key));
    expect(unknown).toEqual([]);
  });

  it.each(agentConfigs)("%s advertises the private interface inside and the floating IP outside", (path, text) => {
    const agent = JSON.parse(text);
    const [, dc, node] = path.split("/");
    expect(agent.node_name).toBe(node);
    expect(agent.node_name).not.toContain(".");
    expect(agent.datacenter).toBe(dc);
    expect(agent.primary_datacenter).toBe("prod1");
    expect(agent.advertise_addr).toBe('{{ GetInterfaceIP "ens3" }}');
    expect(agent.advertise_addr_wan).toMatch(/^\$\{openstack_networking_floatingip_v2\.[^}]+\.address\}$/);
    expect(agent.translate_wan_addrs).toBe(true);
    expect(agent.bind_addr).toBe("0.0.0.0");
    expect(agent.retry_join).toEqual(["10", "11", "12"].map((host) => `10.${dc.slice(-1)}0.0.${host}`));
    expect(agent.encrypt).toMatch(/^\$\{.*gossip-key.*base64\}$/);
    expect(agent.tls.internal_rpc.verify_server_hostname).toBe(true);
    expect(agent.ports).toEqual({ http: -1, https: 8501, grpc: -1, grpc_tls: 8503, dns: 8600 });
    if (agent.server) {
      expect(agent.bootstrap_expect).toBe(3);
      expect(agent.auto_encrypt).toEqual({ allow_tls: true });
      expect(agent.tls.defaults.cert_file).toBe("/etc/consul.d/tls/agent.pem");
    } else {
      // Its own certificate from the federation CA, which Envoy's -ca-file verifies; no auto_encrypt.
      expect(agent.auto_encrypt).toBeUndefined();
      expect(agent.tls.defaults.cert_file).toBe("/etc/consul.d/tls/agent.pem");
      expect(agent.tls.grpc).toEqual({ verify_incoming: false });
    }
  });

  it("points every secondary server at all of the primary's gateways", () => {
    for (const [path, text] of agentConfigs) {
      const agent = JSON.parse(text);
      if (!agent.server) continue;
      if (path.startsWith("nodes/prod1/")) {
        expect(agent.primary_gateways).toBeUndefined();
      } else {
        expect(agent.primary_gateways).toHaveLength(2);
        for (const gateway of agent.primary_gateways) {
          expect(gateway).toMatch(/cross-stack-output-openstack_networking_floatingip_v2prod1-gateway-\d_.*:8443$/);
        }
      }
    }
  });
});

describe("mesh gateways", () => {
  it("register with the flags WAN federation needs", () => {
    expect(meshGatewayCommand().join(" ")).toMatch(
      /^\/usr\/bin\/consul connect envoy -gateway=mesh -register -service \$\{GATEWAY_SERVICE\} -address \$\{LAN_ADDRESS\}:8443 -wan-address \$\{WAN_ADDRESS\}:8443 -expose-servers .* -- --log-level debug$/,
    );
  });

  it("learn their addresses from an environment file: private LAN, floating WAN", () => {
    const env = files.get("nodes/prod2/prod2-gateway-2/mesh-gateway.env") as string;
    expect(env).toMatch(
      /^GATEWAY_SERVICE=mesh-gateway\nLAN_ADDRESS=10\.20\.0\.31\nWAN_ADDRESS=\$\{openstack_networking_floatingip_v2\.prod2-gateway-2_/,
    );
  });
});

describe("settings delivery", () => {
  it("keeps Terraform from interpolating shell and systemd variables", () => {
    expect(escapeTemplateSequences("a=${1:?x} b=%{if} c=${TfToken[TOKEN.12]}")).toBe(
      "a=$${1:?x} b=%%{if} c=${TfToken[TOKEN.12]}",
    );
  });

  it("uploads shell and systemd variables literally: Terraform interpolates only references", () => {
    const uploads = [...example.stacks.values()].flatMap((json) =>
      Object.values(resourcesOf(json, "terraform_data")).flatMap((resource) =>
        (resource.provisioner as Record<string, { content?: string }>[])
          .map((p) => p.file?.content)
          .filter((content): content is string => content !== undefined),
      ),
    );
    expect(uploads.length).toBeGreaterThan(100);
    const reference = /^(openstack_|tls_|random_|consul_|data\.|sensitive\(|substr\()/;
    const interpolations = uploads.flatMap((content) =>
      [...content.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1]),
    );
    expect(interpolations.length).toBeGreaterThan(0);
    expect(interpolations.filter((inside) => !reference.test(inside))).toEqual([]);
    expect(uploads.some((content) => content.includes("$${1:?usage"))).toBe(true);
    expect(uploads.some((content) => content.includes("-service $${GATEWAY_SERVICE}"))).toBe(true);
  });

  it("delivers everything again to a replaced VM", () => {
    const prod2 = Object.values(resourcesOf(example.stacks.get("prod2") as string, "terraform_data"));
    for (const delivery of prod2) {
      expect((delivery.triggers_replace as { target?: string }).target).toMatch(
        /^\$\{openstack_compute_instance_v2\.prod2-(server|gateway)-\d_vm_instance_\w+\.id\}$/,
      );
    }
  });

  it("rolls servers one at a time and starts gateways after the servers", () => {
    const prod2 = JSON.parse(example.stacks.get("prod2") as string).resource.terraform_data as Record<
      string,
      { depends_on?: string[] }
    >;
    const dependencies = (node: string) =>
      (Object.entries(prod2).find(([id]) => id.startsWith(`${node}_settings_apply`))?.[1].depends_on ?? []).filter(
        (d) => d.startsWith("terraform_data."),
      );
    expect(dependencies("prod2-server-1")).toEqual([]);
    expect(dependencies("prod2-server-2")).toEqual([
      expect.stringMatching(/^terraform_data\.prod2-server-1_settings_apply/),
    ]);
    expect(dependencies("prod2-gateway-1")).toHaveLength(3);
    expect(dependencies("prod2-gateway-2")).toEqual([
      expect.stringMatching(/^terraform_data\.prod2-gateway-1_settings_apply/),
    ]);
  });

  it("rejects a file delivered twice", () => {
    const scope = new TerraformStack(Testing.app(), "test");
    const file = { name: "a.sh", destination: "-", owner: "root", group: "root", mode: "0700", content: "" };
    expect(
      () => new SshFileDelivery(scope, "d", { host: "h", user: "u", files: [file, file], applyScript: "a.sh" }),
    ).toThrow(/^test\/d: files: "a\.sh" is delivered twice/);
  });
});
