import { exampleFiles } from "./../support/example";
import { admittedToEnvoyAdmin as admitted } from "../support/firewall";
import {
  itWithTool,
  shellchecks,
  systemdExposure,
  validateCloudConfigs,
  validateSystemdUnits,
} from "../support/validators";

/**
 * Every file a VM of the example federation receives, proven by the tool that will consume it.
 * Files whose content is identical across nodes are checked once.
 */
const files = exampleFiles();

function distinct(suffix: string): [string, string][] {
  const seen = new Map<string, string>();
  for (const [path, content] of files) if (path.endsWith(suffix) && !seen.has(content)) seen.set(content, path);
  return [...seen].map(([content, path]) => [path, content]);
}

describe("rendered node files", () => {
  it("exist for every node under nodes/<datacenter>/<node>/", () => {
    const nodes = new Set([...files.keys()].map((path) => path.split("/").slice(0, 3).join("/")));
    expect(nodes.size).toBe(15);
    for (const node of nodes) {
      for (const name of [
        "cloud-config.yaml",
        "consul.json",
        "consul.service",
        "node-apply.sh",
        "node.env",
        "manifest.tsv",
        "ca.pem",
      ]) {
        expect(files.has(`${node}/${name}`)).toBe(true);
      }
    }
  });

  const cloudConfigs = distinct("/cloud-config.yaml");
  itWithTool("cloud-init", `every cloud-config passes cloud-init schema (${cloudConfigs.length} distinct)`, () => {
    expect(cloudConfigs.length).toBeGreaterThan(1);
    const checked = validateCloudConfigs(cloudConfigs.map(([, content]) => content));
    const problems = cloudConfigs.flatMap(([path], index) => checked[index].map((p) => `${path}: ${p}`));
    expect(problems).toEqual([]);
  });

  itWithTool("systemd-analyze", "every systemd unit passes systemd-analyze verify", () => {
    const units = Object.fromEntries(
      distinct(".service").map(([path, content], index) => [
        path.split("/").pop() === "consul.service" ? `consul${index}.service` : path.split("/").pop(),
        content,
      ]),
    );
    expect(Object.keys(units).length).toBeGreaterThanOrEqual(3);
    expect(validateSystemdUnits(units as Record<string, string>)).toEqual([]);
  });

  const unitOf = (node: string, unit: string) => files.get(`nodes/prod1/${node}/${unit}`) ?? "";
  const sandboxed = {
    "server consul.service": unitOf("prod1-server-1", "consul.service"),
    "gateway consul.service": unitOf("prod1-gateway-1", "consul.service"),
    "consul-mesh-gateway.service": unitOf("prod1-gateway-1", "consul-mesh-gateway.service"),
  };

  it("every service runs unprivileged in a read-only system, writing only the agent's data directory", () => {
    for (const [unit, text] of Object.entries(sandboxed)) {
      const settings = text.split("\n");
      // Envoy faces other datacenters: it runs as its own user, not as the agent's.
      const user = unit.includes("mesh") ? "consul-envoy" : "consul";
      for (const line of [
        `User=${user}`,
        `Group=${user}`,
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ProtectProc=invisible",
      ]) {
        expect({ unit, line, present: settings.includes(line) }).toEqual({ unit, line, present: true });
      }
      const writable = settings.filter((line) => line.startsWith("ReadWritePaths="));
      expect({ unit, writable }).toEqual({
        unit,
        writable: unit.includes("mesh") ? [] : ["ReadWritePaths=/opt/consul"],
      });
    }
  });

  it("the gateway's token file is for systemd alone (root, 0600)", () => {
    const manifest = files.get("nodes/prod1/prod1-gateway-1/manifest.tsv") ?? "";
    expect(manifest.split("\n").find((line) => line.includes("\tmesh-gateway.env\t"))).toMatch(
      /^0600\troot\troot\tmesh-gateway\.env\t/,
    );
  });

  describe("Envoy's admin interface (it shows the gateway's token) is closed to other local users", () => {
    const gateway = "nodes/prod1/prod1-gateway-1";
    const ruleset = files.get(`${gateway}/envoy-admin-firewall.json`) ?? "";

    it("Envoy's unit loads the delivered firewall as root before every start; a change restarts Envoy", () => {
      const unit = files.get(`${gateway}/consul-mesh-gateway.service`) ?? "";
      expect(unit.split("\n")).toContain(
        "ExecStartPre=+/usr/sbin/nft --json --file /etc/consul.d/envoy-admin-firewall.json",
      );
      expect(unit).toContain("-admin-bind 127.0.0.1:19000 ");
      const manifest = files.get(`${gateway}/manifest.tsv`) ?? "";
      expect(manifest.split("\n")).toContain(
        "0644\troot\troot\tenvoy-admin-firewall.json\t/etc/consul.d/envoy-admin-firewall.json\tconsul-envoy-admin-firewall.service\t-",
      );
      // The apply script installs nft where the image lacks it.
      expect(files.get(`${gateway}/node.env`)).toContain(
        "FIREWALL_PACKAGE=nftables\nFIREWALL_PROGRAM=/usr/sbin/nft\nFIREWALL_UNIT=consul-envoy-admin-firewall.service\n",
      );
      // Loaded again whenever nftables.service (re)loads a rule set that may begin with `flush ruleset`.
      const again = (files.get(`${gateway}/consul-envoy-admin-firewall.service`) ?? "").split("\n");
      for (const line of [
        "After=nftables.service",
        "ExecStart=/usr/sbin/nft --json --file /etc/consul.d/envoy-admin-firewall.json",
        "WantedBy=multi-user.target",
      ])
        expect({ line, present: again.includes(line) }).toEqual({ line, present: true });
      // nftables.service's start and reload load a rule set that usually flushes everything, its stop flushes it.
      expect(files.get(`${gateway}/nftables-consul-envoy-admin-firewall.conf`)).toBe(
        [
          "[Service]",
          "ExecStartPost=-/usr/sbin/nft --json --file /etc/consul.d/envoy-admin-firewall.json",
          "ExecReload=-/usr/sbin/nft --json --file /etc/consul.d/envoy-admin-firewall.json",
          "ExecStopPost=-/usr/sbin/nft --json --file /etc/consul.d/envoy-admin-firewall.json",
          "",
        ].join("\n"),
      );
      expect(manifest.split("\n")).toContain(
        "0644\troot\troot\tnftables-consul-envoy-admin-firewall.conf\t/etc/systemd/system/nftables.service.d/consul-envoy-admin-firewall.conf\t-\t-",
      );
      expect(files.get(`${gateway}/node.env`)).toContain(
        "NODE_UNITS=consul.service,consul-envoy-admin-firewall.service,consul-mesh-gateway.service\n",
      );
    });

    itWithTool(
      "nft",
      "nftables loads it (twice, as on every start) and refuses every user but root and Envoy's",
      () => {
        const result = admitted(ruleset);
        if (result === undefined) return;
        // uid 8301 is consul-envoy, 8300 the Consul agent's user, 65534 nobody.
        expect(result).toEqual({ "0": "admitted", "8301": "admitted", "8300": "refused", "65534": "refused" });
      },
    );

    itWithTool("nft", "without the rule, every user reaches the listener (the check above can fail)", () => {
      const result = admitted(JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }] }));
      if (result === undefined) return;
      expect(result).toEqual({ "0": "admitted", "8301": "admitted", "8300": "admitted", "65534": "admitted" });
    });
  });

  itWithTool("systemd-analyze", "systemd-analyze security rates every service's exposure below 4 of 10", () => {
    const exposure = systemdExposure({
      "consul.service": sandboxed["server consul.service"],
      "consul-mesh-gateway.service": sandboxed["consul-mesh-gateway.service"],
      "consul-snapshot.service": files.get("nodes/prod2/prod2-server-1/consul-snapshot.service") as string,
    });
    expect(Object.keys(exposure)).toContain("consul-snapshot.service");
    for (const [unit, level] of Object.entries(exposure))
      expect({ unit, level: level < 4 }).toEqual({ unit, level: true });
  });

  itWithTool("shellcheck", "every shell script and sourced environment file passes shellcheck", () => {
    const scripts = [...distinct("/node-apply.sh"), ...distinct("/consul-snapshot")];
    expect(scripts).toHaveLength(2);
    const checked = shellchecks(scripts.map(([, content]) => content));
    const problems = scripts.flatMap(([path], index) => checked[index].map((p) => `${path}: ${p}`));
    // node.env is sourced by the script (hence SC2034); Terraform fills its references at apply time.
    const environments = [...distinct("/node.env"), ...distinct("/backup.env")];
    const checkedEnvironments = shellchecks(
      environments.map(
        ([, content]) =>
          `#!/bin/sh\n# shellcheck disable=SC2034\n${content.replace(/\$\{[^}]*\}/g, "value-from-terraform")}`,
      ),
      "sh",
    );
    environments.forEach(([path], index) => problems.push(...checkedEnvironments[index].map((p) => `${path}: ${p}`)));
    expect(problems).toEqual([]);
  });

  it("every agent configuration is JSON", () => {
    for (const [path, content] of files) if (path.endsWith(".json")) expect(() => JSON.parse(content)).not.toThrow();
  });

  it("holds no secret: keys and the gossip key appear only as Terraform references", () => {
    for (const [path, content] of files) {
      expect({ path, leaked: /BEGIN [A-Z ]*PRIVATE KEY/.test(content) }).toEqual({ path, leaked: false });
    }
    for (const [path, content] of files) {
      if (path.endsWith("/agent-key.pem"))
        expect(content).toMatch(/^\$\{(tls_private_key|data\.terraform_remote_state)[^}]*\}$/);
    }
  });
});
