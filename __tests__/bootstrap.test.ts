import { parse } from "yaml";
import { renderCloudConfig, type CloudConfig } from "../constructs/bootstrap/cloud-config";
import { renderSystemdUnit, type SystemdUnit } from "../constructs/bootstrap/systemd-unit";
import { itWithTool, shellcheck, validateCloudConfig, validateSystemdUnits } from "./support/validators";

const consulUnit: SystemdUnit = {
  Unit: {
    Description: "Consul agent",
    Documentation: "https://developer.hashicorp.com/consul/docs",
    Wants: "network-online.target",
    After: ["network-online.target", "cloud-final.service"],
    ConditionFileNotEmpty: "/etc/consul.d/consul.hcl",
  },
  Service: {
    Type: "notify",
    User: "consul",
    Group: "consul",
    EnvironmentFile: "-/etc/consul.d/consul.env",
    ExecStart: "/usr/bin/consul agent -config-dir=/etc/consul.d/",
    ExecReload: "/bin/kill --signal HUP $MAINPID",
    KillMode: "process",
    KillSignal: "SIGTERM",
    Restart: "on-failure",
    RestartSec: 5,
    LimitNOFILE: 65536,
    NoNewPrivileges: true,
    PrivateTmp: false,
  },
  Install: { WantedBy: "multi-user.target" },
};

const consulUnitText = `[Unit]
Description=Consul agent
Documentation=https://developer.hashicorp.com/consul/docs
Wants=network-online.target
After=network-online.target
After=cloud-final.service
ConditionFileNotEmpty=/etc/consul.d/consul.hcl

[Service]
Type=notify
User=consul
Group=consul
EnvironmentFile=-/etc/consul.d/consul.env
ExecStart=/usr/bin/consul agent -config-dir=/etc/consul.d/
ExecReload=/bin/kill --signal HUP $MAINPID
KillMode=process
KillSignal=SIGTERM
Restart=on-failure
RestartSec=5
LimitNOFILE=65536
NoNewPrivileges=yes
PrivateTmp=no

[Install]
WantedBy=multi-user.target
`;

describe("renderSystemdUnit", () => {
  it("renders a unit exactly", () => {
    expect(renderSystemdUnit(consulUnit)).toBe(consulUnitText);
  });

  it("orders sections Unit, Service, Path, Timer, Install whatever the object order", () => {
    const text = renderSystemdUnit({
      Install: { WantedBy: "timers.target" },
      Timer: { OnCalendar: "daily" },
      Path: { PathChanged: "/etc/consul.d" },
      Service: { Type: "oneshot" },
      Unit: { Description: "x" },
    });
    expect(text.match(/^\[\w+\]$/gm)).toEqual(["[Unit]", "[Service]", "[Path]", "[Timer]", "[Install]"]);
    expect(text.endsWith("\n")).toBe(true);
    expect(text.endsWith("\n\n")).toBe(false);
  });

  it("writes arrays as repeated keys in order, keeping empty strings as list resets", () => {
    const text = renderSystemdUnit({
      Unit: { Description: "x" },
      Service: { ExecStartPre: ["", "/usr/bin/b", "/usr/bin/a"], Environment: [] },
    });
    expect(text).toBe(
      "[Unit]\nDescription=x\n\n[Service]\nExecStartPre=\nExecStartPre=/usr/bin/b\nExecStartPre=/usr/bin/a\n",
    );
  });

  it.each([
    ["a newline", "/usr/bin/consul\nExecStartPost=/bin/sh -c evil"],
    ["a carriage return", "a\rb"],
    ["a NUL", "a\0b"],
    ["a trailing backslash", "/usr/bin/consul \\"],
  ])("rejects a value containing %s, naming section and key", (_what, value) => {
    expect(() => renderSystemdUnit({ Unit: { Description: "x" }, Service: { ExecStart: value } })).toThrow(
      /\[Service\] ExecStart/,
    );
  });

  it("names the array index of a bad list item", () => {
    expect(() => renderSystemdUnit({ Unit: { After: ["a.target", "b\n.target"] } })).toThrow(/\[Unit\] After\[1\]/);
  });

  it.each(["Exec Start", "Exec_Start", "ExecStart=x", "", "Ünit"])("rejects the key %j", (key) => {
    expect(() => renderSystemdUnit({ Unit: { Description: "x" }, Service: { [key]: "v" } })).toThrow(
      /systemd unit \[Service\]: invalid key/,
    );
  });

  it("rejects non-finite numbers and sections the type does not know", () => {
    expect(() => renderSystemdUnit({ Unit: { RestartSec: Number.NaN } })).toThrow(/\[Unit\] RestartSec/);
    expect(() => renderSystemdUnit({ Unit: {}, Socket: { ListenStream: "1" } } as unknown as SystemdUnit)).toThrow(
      /\[Socket\]/,
    );
  });
});

const sampleCloudConfig: CloudConfig = {
  package_update: true,
  package_upgrade: false,
  apt: {
    sources: {
      hashicorp: {
        source: "deb [signed-by=$KEY_FILE] https://apt.releases.hashicorp.com $RELEASE main",
        keyid: "798AEC654E5C15428C8E42EEAA16FCBCA621E701",
        keyserver: "keyserver.ubuntu.com",
        filename: "hashicorp.list",
      },
    },
  },
  packages: ["unzip", ["consul", "1.21.5-1"], "yes"],
  users: [
    "default",
    {
      name: "consul",
      system: true,
      shell: "/usr/sbin/nologin",
      homedir: "/opt/consul",
      no_create_home: false,
      lock_passwd: true,
      groups: ["systemd-journal"],
    },
  ],
  write_files: [
    {
      path: "/etc/consul.d/consul.hcl",
      content: 'datacenter = "prod1"\n' + `encrypt = "${"x".repeat(300)}"\n`,
      owner: "consul:consul",
      permissions: "0640",
      defer: true,
    },
    { path: "/etc/consul.d/ca.pem", content: "LS0tLS1CRUdJTg==", encoding: "b64", permissions: "0644" },
  ],
  bootcmd: [["mkdir", "-p", "/opt/consul"]],
  runcmd: [["systemctl", "enable", "--now", "consul.service"], "echo on 1:30 = << done"],
  disk_setup: { "/dev/vdb": { table_type: "gpt", layout: true, overwrite: false } },
  fs_setup: [{ label: "consul-data", filesystem: "ext4", device: "/dev/vdb", partition: "auto" }],
  mounts: [["LABEL=consul-data", "/opt/consul", "ext4", "defaults,nofail", "0", "2"]],
  ssh_pwauth: false,
  preserve_hostname: false,
  hostname: "prod1-server-1",
  fqdn: "prod1-server-1.node.consul",
  prefer_fqdn_over_hostname: false,
  manage_etc_hosts: "localhost",
  timezone: "Etc/UTC",
  final_message: "bootstrap finished after $UPTIME seconds",
};

describe("renderCloudConfig", () => {
  const text = renderCloudConfig(sampleCloudConfig);

  it("starts with the #cloud-config header and keeps keys in insertion order", () => {
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    const topLevelKeys = text.match(/^[a-z_]+(?=:)/gm);
    expect(topLevelKeys).toEqual(Object.keys(sampleCloudConfig));
  });

  it("round-trips through a YAML 1.1 parse and never folds long lines", () => {
    expect(parse(text, { version: "1.1" })).toEqual(sampleCloudConfig);
    expect(text).toContain(`encrypt = "${"x".repeat(300)}"`);
  });

  it("quotes strings that YAML 1.1 would read as other types", () => {
    expect(text).toContain('- "yes"');
    expect(text).toContain('permissions: "0640"');
    const quoted = renderCloudConfig({ runcmd: [["echo", "on", "1:30", "=", "<<"]] });
    expect(quoted).toBe('#cloud-config\nruncmd:\n  - - echo\n    - "on"\n    - "1:30"\n    - "="\n    - "<<"\n');
  });

  itWithTool("cloud-init", "is accepted by cloud-init schema", () => {
    expect(validateCloudConfig(text)).toEqual([]);
  });

  itWithTool("cloud-init", "validator reports a wrong type, a deprecated key and a missing header", () => {
    const wrong = renderCloudConfig({ packages: 5 } as unknown as CloudConfig);
    expect(validateCloudConfig(wrong)).toEqual([expect.stringMatching(/^error: packages: 5 is not of type 'array'/)]);
    const deprecated = renderCloudConfig({ apt_update: true } as unknown as CloudConfig);
    expect(validateCloudConfig(deprecated)).toEqual([expect.stringMatching(/^deprecated: apt_update: DEPRECATED/)]);
    expect(validateCloudConfig("packages: [curl]\n")).toEqual([
      expect.stringMatching(/needs to begin with "#cloud-config"/),
    ]);
  });
});

describe("validateSystemdUnits", () => {
  const units = {
    "consul.service": renderSystemdUnit(consulUnit),
    "consul.service.d/10-limits.conf": renderSystemdUnit({ Unit: {}, Service: { LimitNOFILE: 131072 } }),
    "envoy.service": renderSystemdUnit({
      Unit: { Description: "Envoy mesh gateway", Requires: "consul.service", After: "consul.service" },
      Service: { ExecStart: "/usr/bin/envoy --config-path /etc/envoy/envoy.yaml", Restart: "always" },
      Install: { WantedBy: "multi-user.target" },
    }),
    "consul-reload.path": renderSystemdUnit({
      Unit: { Description: "Reload Consul on configuration changes" },
      Path: { PathChanged: "/etc/consul.d/consul.hcl", Unit: "consul-reload.service" },
      Install: { WantedBy: "multi-user.target" },
    }),
    "consul-reload.service": renderSystemdUnit({
      Unit: { Description: "Reload Consul" },
      Service: { Type: "oneshot", ExecStart: "/usr/bin/systemctl reload consul.service" },
    }),
    "consul-snapshot.timer": renderSystemdUnit({
      Unit: { Description: "Daily Consul snapshot" },
      Timer: { OnCalendar: "daily", Persistent: true, Unit: "consul-reload.service" },
      Install: { WantedBy: "timers.target" },
    }),
  };

  itWithTool("systemd-analyze", "accepts valid units that use VM-only binaries and files", () => {
    expect(validateSystemdUnits(units)).toEqual([]);
  });

  itWithTool("systemd-analyze", "reports a misspelt key, an invalid value and an unknown section", () => {
    const bad = consulUnitText
      .replace("ExecReload=", "ExecRelaod=")
      .replace("Restart=on-failure", "Restart=sometimes")
      .replace("[Install]", "[Instal]");
    expect(validateSystemdUnits({ "consul.service": bad })).toEqual([
      expect.stringMatching(/^consul\.service:\d+: Unknown key 'ExecRelaod' in section \[Service\]/),
      expect.stringMatching(/^consul\.service:\d+: Failed to parse service restart specifier.*sometimes/),
      expect.stringMatching(/^consul\.service:\d+: Unknown section 'Instal'/),
    ]);
  });

  itWithTool("systemd-analyze", "reports problems in drop-ins and executables not covered by stubs", () => {
    const findings = validateSystemdUnits({
      "consul.service": consulUnitText,
      "consul.service.d/override.conf": "[Service]\nExecStrat=/usr/bin/consul\n",
      "vault.service": "[Unit]\nDescription=v\n\n[Service]\nExecStart=/usr/bin/vault server\n",
    });
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^consul\.service\.d\/override\.conf:2: Unknown key 'ExecStrat'/),
        expect.stringMatching(/Command \/usr\/bin\/vault is not executable/),
      ]),
    );
    expect(findings).toHaveLength(2);
  });
});

describe("shellcheck", () => {
  itWithTool("shellcheck", "finds an unquoted variable", () => {
    const findings = shellcheck('#!/bin/bash\nset -euo pipefail\ndir="$1"\nrm -rf $dir/cache\n');
    expect(findings).toEqual([expect.stringMatching(/^script:4:8: note: Double quote .* \[SC2086\]$/)]);
  });

  itWithTool("shellcheck", "passes a clean script, in bash and in sh mode", () => {
    expect(shellcheck('#!/bin/bash\nset -euo pipefail\ndir="$1"\nrm -rf "${dir:?}/cache"\n')).toEqual([]);
    expect(shellcheck('set -eu\ndir="$1"\nrm -rf "${dir:?}/cache"\n', "sh")).toEqual([]);
  });

  itWithTool("shellcheck", "applies the requested shell dialect", () => {
    const script = 'set -eu\nif [[ -n "${1:-}" ]]; then echo yes; fi\n';
    expect(shellcheck(script, "bash")).toEqual([]);
    expect(shellcheck(script, "sh")).toEqual([expect.stringMatching(/\[SC3010\]$/)]);
  });
});
