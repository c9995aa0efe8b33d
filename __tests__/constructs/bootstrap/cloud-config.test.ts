import { parse } from "yaml";
import { renderCloudConfig, type CloudConfig } from "../../../constructs/bootstrap/cloud-config";
import { itWithTool, validateCloudConfig, validateCloudConfigs } from "../../support/validators";

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
    const deprecated = renderCloudConfig({ apt_update: true } as unknown as CloudConfig);
    // One batch, as the rendered files are checked: each document's problems stay its own.
    const [wrongProblems, deprecatedProblems, headerlessProblems, validProblems] = validateCloudConfigs([
      wrong,
      deprecated,
      "packages: [curl]\n",
      text,
    ]);
    expect(wrongProblems).toEqual([expect.stringMatching(/^error: packages: 5 is not of type 'array'/)]);
    expect(deprecatedProblems).toEqual([expect.stringMatching(/^deprecated: apt_update: DEPRECATED/)]);
    expect(headerlessProblems).toEqual([expect.stringMatching(/needs to begin with "#cloud-config"/)]);
    expect(validProblems).toEqual([]);
  });
});
