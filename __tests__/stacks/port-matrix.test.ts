import { exampleStacks } from "./../support/example";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONSUL_PORTS, renderPortMatrixMarkdown } from "../../domain/ports";
import { federationPortMatrix } from "../../stacks/datacenter-foundation";
import { exampleConfig, REPO_ROOT } from "../support/fixtures";
import { resourcesOf, synthesize } from "../support/synth";

describe("the port matrix of the example federation", () => {
  const stacks = exampleStacks();
  const rules = [...stacks.values()].flatMap((json) =>
    Object.values(resourcesOf(json, "openstack_networking_secgroup_rule_v2")),
  );

  it("opens only the gateways' 8443/tcp to the internet", () => {
    const open = rules.filter((rule) => rule.remote_ip_prefix === "0.0.0.0/0");
    expect(open.length).toBeGreaterThan(0);
    expect(new Set(open.map((rule) => `${rule.port_range_min}/${rule.protocol}`))).toEqual(new Set(["8443/tcp"]));
  });

  it("never opens server RPC beyond the datacenter's own network", () => {
    const rpc = rules.filter((rule) => rule.port_range_min === CONSUL_PORTS.serverRpc);
    expect(rpc.length).toBeGreaterThan(0);
    expect(new Set(rpc.map((rule) => rule.remote_ip_prefix))).toEqual(
      new Set(["10.10.0.0/24", "10.20.0.0/24", "10.30.0.0/24"]),
    );
  });

  it("opens serf WAN to the datacenter's own servers only, by their security group", () => {
    for (const name of ["prod1", "prod2", "prod3"]) {
      const serfWan = Object.values(
        resourcesOf(stacks.get(name) as string, "openstack_networking_secgroup_rule_v2"),
      ).filter((rule) => rule.port_range_min === CONSUL_PORTS.serfWan);
      expect(serfWan.map((rule) => [rule.protocol, rule.remote_ip_prefix, rule.remote_group_id]).sort()).toEqual([
        [
          "tcp",
          undefined,
          expect.stringMatching(/openstack_networking_secgroup_v2\.[\w-]*security-groups_server_\w+\.id/),
        ],
        [
          "udp",
          undefined,
          expect.stringMatching(/openstack_networking_secgroup_v2\.[\w-]*security-groups_server_\w+\.id/),
        ],
      ]);
    }
  });

  it("reaches SSH only from the admin CIDRs", () => {
    const ssh = rules.filter((rule) => rule.port_range_min === 22);
    expect(new Set(ssh.map((rule) => rule.remote_ip_prefix))).toEqual(new Set(["203.0.113.0/24"]));
  });

  it("is printed in the README exactly as the code defines it", () => {
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain(
      renderPortMatrixMarkdown(federationPortMatrix(exampleConfig())),
    );
  });
});

describe("the metrics port", () => {
  it("follows proxy-defaults' envoy_prometheus_bind_addr into the firewall", () => {
    const config = exampleConfig((c) => {
      c.consul.proxyDefaults = { envoyPrometheusBindAddr: "0.0.0.0:9300" };
    });
    const rules = [...synthesize(config).stacks.values()].flatMap((json) =>
      Object.values(resourcesOf(json, "openstack_networking_secgroup_rule_v2")),
    );
    const monitoring = rules.filter((rule) => rule.remote_ip_prefix === "198.51.100.0/28");
    expect(new Set(monitoring.map((rule) => rule.port_range_min))).toEqual(new Set([9300]));
  });
});
