import { exampleFiles } from "./../support/example";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configKeyPaths } from "../../constructs/consul/agent-config";
import { REPO_ROOT } from "../support/fixtures";

const CONSUL_KEYS = new Set<string>(
  JSON.parse(readFileSync(join(REPO_ROOT, "__tests__", "fixtures", "consul-agent-config-keys.json"), "utf8")).keys,
);
const files = exampleFiles();
const agentConfigs = [...files].filter(([path]) => path.endsWith("/consul.json"));

describe("agent configuration of every node of the example", () => {
  it("has one configuration per node", () => {
    expect(agentConfigs.map(([path]) => path.split("/")[2])).toHaveLength(15);
  });

  it.each(agentConfigs)("%s uses only keys that Consul accepts", (_path, text) => {
    const unknown = configKeyPaths(JSON.parse(text)).filter((key) => !CONSUL_KEYS.has(key));
    expect(unknown).toEqual([]);
  });

  it.each(agentConfigs)(
    "%s advertises its fixed private address, and gateways their floating IP as WAN",
    (path, text) => {
      const agent = JSON.parse(text);
      const [, dc, node] = path.split("/");
      expect(agent.node_name).toBe(node);
      expect(agent.node_name).not.toContain(".");
      expect(agent.datacenter).toBe(dc);
      expect(agent.primary_datacenter).toBe("prod1");
      const host = agent.server ? 10 + Number(node.slice(-1)) - 1 : 30 + Number(node.slice(-1)) - 1;
      expect(agent.advertise_addr).toBe(`10.${dc.slice(-1)}0.0.${host}`);
      if (agent.server) {
        // WAN gossip inside a datacenter goes straight to each member's WAN address: the private one.
        expect(agent.advertise_addr_wan).toBeUndefined();
      } else {
        expect(agent.advertise_addr_wan).toMatch(/^\$\{openstack_networking_floatingip_v2\.[^}]+\.address\}$/);
      }
      expect(agent.translate_wan_addrs).toBe(true);
      expect(agent.bind_addr).toBe("0.0.0.0");
      expect(agent.retry_join).toEqual(["10", "11", "12"].map((host) => `10.${dc.slice(-1)}0.0.${host}`));
      expect(agent.encrypt).toMatch(/^\$\{.*gossip-key.*base64\}$/);
      expect(agent.tls.internal_rpc.verify_server_hostname).toBe(true);
      expect(agent.ports).toEqual({ http: -1, https: 8501, grpc: -1, grpc_tls: 8503, dns: 8600 });
      if (agent.server) {
        expect(agent.bootstrap_expect).toBe(3);
        // Every agent has a certificate from the federation CA: no server signs certificates for clients.
        expect(agent.auto_encrypt).toBeUndefined();
        expect(agent.tls.defaults.cert_file).toBe("/etc/consul.d/tls/agent.pem");
      } else {
        // Its own certificate from the federation CA, which Envoy's -ca-file verifies; no auto_encrypt.
        expect(agent.auto_encrypt).toBeUndefined();
        expect(agent.tls.defaults.cert_file).toBe("/etc/consul.d/tls/agent.pem");
        expect(agent.tls.grpc).toEqual({ verify_incoming: false });
      }
    },
  );

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
