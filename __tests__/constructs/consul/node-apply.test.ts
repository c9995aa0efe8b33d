import { exampleFiles } from "./../../support/example";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { managementTokenFile } from "../../../constructs/consul/management-token";
import {
  GLOBAL_MANAGEMENT_POLICY_ID,
  terraformTokenAccessorId,
  terraformTokenDescription,
} from "../../../domain/terraform-token";
import { REPO_ROOT } from "../../support/fixtures";
import { runNodeScript, StubBehaviour } from "../../support/node-harness";
import { itWithTool } from "../../support/validators";

/**
 * node-apply.sh run as the settings delivery runs it (sudo bash node-apply.sh STAGING) on the example's
 * prod2-server-1 and prod2-gateway-1, in a scratch root against stub commands.
 */
const SCRIPT = readFileSync(join(REPO_ROOT, "constructs", "consul", "files", "node-apply.sh"), "utf8");
const files = exampleFiles();
const VOLUME_ID = "0c7e5e3a-1b2c-4d5e-8f90-123456789abc";
const FINGERPRINT = "D55C0D1AC78A8D8126CB631CFC9CA96ACA026560";
const ENVOY_FINGERPRINT = "0AFCE836BA4D1D35763C8523D8CDC3750181F31F";

/** The node's staged files as Terraform uploads them, its references filled with plausible values. */
function stagedFiles(node: string, overrides: Record<string, string> = {}): Record<string, string> {
  const folder = `nodes/${node.replace(/-(server|gateway)-\d$/, "")}/${node}/`;
  const staged: Record<string, string> = {};
  for (const [path, content] of files) {
    if (!path.startsWith(folder) || path.endsWith("cloud-config.yaml") || path.endsWith("node-apply.sh")) continue;
    staged[path.slice(folder.length)] = content
      .replace(/\$\{openstack_blockstorage_volume_v3\.[^}]+\.id\}/g, VOLUME_ID)
      .replace(/\$\{[^}]*\}/g, "value-from-terraform");
  }
  return { ...staged, ...overrides };
}

const healthy = JSON.stringify({
  Healthy: true,
  FailureTolerance: 1,
  Servers: ["prod2-server-1", "prod2-server-2", "prod2-server-3"].map((Name) => ({ Name, Healthy: true, Voter: true })),
});

/** A node whose every step succeeds: a running, healthy member of a healthy datacenter. */
function healthyStubs(overrides: Record<string, StubBehaviour> = {}): Record<string, StubBehaviour> {
  return {
    id: { stdout: "8300\n" },
    "dpkg-query": { when: [{ match: "envoy", stdout: "1.35.6" }], stdout: "1.22.4-1" },
    "apt-mark": { when: [{ match: "showhold", stdout: "consul\nenvoy-1.35\n" }] },
    // The agent serves the certificate installed (both fingerprints alike).
    openssl: { stdout: "sha256 Fingerprint=AA:BB\n" },
    gpg: {
      when: [
        { match: "--dearmor", body: "binary keyring" },
        { match: ".envoy.key", stdout: `pub:u:255:22:X:1:::::::scSC::::::23::0:\nfpr:::::::::${ENVOY_FINGERPRINT}:\n` },
        { match: "--show-keys", stdout: `pub:u:4096:1:X:1:::::::scSC::::::23::0:\nfpr:::::::::${FINGERPRINT}:\n` },
      ],
    },
    curl: {
      when: [
        { match: "/gpg", body: "-----BEGIN PGP PUBLIC KEY BLOCK-----\nkey\n" },
        { match: "signing.key", body: "-----BEGIN PGP PUBLIC KEY BLOCK-----\nenvoy\n" },
        { match: "autopilot/health", stdout: "200", body: healthy },
        { match: "status/leader", stdout: '"10.20.0.11:8300"' },
        { match: "status/peers", stdout: '["10.20.0.10:8300","10.20.0.11:8300","10.20.0.12:8300"]' },
        { match: "/ready", stdout: "LIVE\n" },
        { match: "agent/health/service/name/", stdout: "200" },
      ],
    },
    ...overrides,
  };
}

/** What autopilot reports for prod2 while its second server is not a healthy voter: no failure tolerance left. */
const DEGRADED = JSON.stringify({
  Healthy: false,
  FailureTolerance: 0,
  Servers: [
    { Name: "prod2-server-1", Healthy: true, Voter: true },
    { Name: "prod2-server-2", Healthy: false, Voter: true },
    { Name: "prod2-server-3", Healthy: true, Voter: true },
  ],
});

/** What autopilot reports for the primary: every server a healthy voter. */
const primaryHealthy = JSON.stringify({
  Healthy: true,
  FailureTolerance: 1,
  Servers: [1, 2, 3].map((n) => ({ Name: `prod1-server-${n}`, Healthy: true, Voter: true })),
});

const existingServer = {
  [`/dev/disk/by-id/virtio-${VOLUME_ID.slice(0, 20)}`]: "",
  "/opt/consul/.consul-federation-joined": "",
};

function applyServer(
  options: {
    stubs?: Record<string, StubBehaviour>;
    existing?: Record<string, string>;
    staged?: Record<string, string>;
  } = {},
) {
  return runNodeScript({
    script: SCRIPT,
    scriptName: "node-apply.sh",
    staged: stagedFiles("prod2-server-1", options.staged),
    existing: options.existing ?? existingServer,
    stubs: options.stubs ?? healthyStubs(),
  });
}

const indexOf = (calls: string[], pattern: RegExp) => calls.findIndex((call) => pattern.test(call));

describe("node-apply.sh on a server", () => {
  it("converges and returns once the server is a healthy voter, after its restart", () => {
    const run = applyServer();
    expect(run.stderr).toMatch(/node converged \(server\)/);
    expect(run.status).toBe(0);
    expect(run.stagingRemoved).toBe(true);
    const validate = indexOf(run.calls, /^consul validate /);
    const install = indexOf(run.calls, /^install -m 0640 -o root -g consul .*consul\.json/);
    const restart = indexOf(run.calls, /^systemctl (re)?start consul\.service/);
    // Autopilot is asked before the restart (would the quorum hold?) and after it (is the server back?).
    const asked = run.calls.flatMap((call, i) => (/^curl .*\/v1\/operator\/autopilot\/health/.test(call) ? [i] : []));
    const health = asked.find((i) => i > restart) ?? -1;
    expect(validate).toBeGreaterThan(-1);
    expect(asked[0]).toBeLessThan(restart);
    expect([validate < install, install < restart, restart < health]).toEqual([true, true, true]);
  });

  it("asks autopilot with the staged health token, and for this node by name", () => {
    const run = applyServer({ staged: { "health-check.token": "X-Consul-Token: secret\n" } });
    expect(run.status).toBe(0);
    expect(run.calls.find((call) => call.includes("autopilot/health"))).toMatch(/-H @.*health-check\.token/);
  });

  it("fails, naming the node, when the server never becomes a healthy voter", () => {
    const unhealthy = JSON.stringify({
      Healthy: false,
      Servers: [{ Name: "prod2-server-1", Healthy: false, Voter: false }],
    });
    const stubs = healthyStubs();
    const run = applyServer({
      stubs: {
        ...stubs,
        curl: { when: [{ match: "autopilot/health", stdout: "429", body: unhealthy }, ...(stubs.curl.when ?? [])] },
      },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/prod2-server-1 is not a healthy voter of a healthy datacenter/);
    expect(run.stagingRemoved).toBe(true);
  });

  it("falls back to the leader and the Raft peer set when ACLs refuse the health check, and says so", () => {
    const stubs = healthyStubs();
    const run = applyServer({
      stubs: { ...stubs, curl: { when: [{ match: "autopilot/health", stdout: "403" }, ...(stubs.curl.when ?? [])] } },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/ACLs refused the autopilot health check/);
    expect(indexOf(run.calls, /^curl .*\/v1\/status\/peers/)).toBeGreaterThan(-1);
  });

  it("installs no file when the new configuration is invalid", () => {
    const run = applyServer({ stubs: healthyStubs({ consul: { exit: 1 } }) });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/the new configuration is invalid; no file was installed/);
    expect(run.calls.filter((call) => /^install -m/.test(call))).toEqual([]);
    expect(run.calls.filter((call) => /^systemctl (re)?start/.test(call))).toEqual([]);
  });

  it("fails when a package cannot be installed", () => {
    const run = applyServer({
      stubs: healthyStubs({
        "dpkg-query": { stdout: "1.21.0-1" },
        "apt-get": { when: [{ match: "install", exit: 100 }] },
      }),
    });
    expect(run.status).toBe(100);
    expect(indexOf(run.calls, /^apt-get .*install .*consul=1\.22\.4-1/)).toBeGreaterThan(-1);
  });

  it("refuses a signing key whose fingerprint is not the configured one, before any package changes", () => {
    const run = applyServer({
      stubs: healthyStubs({
        gpg: {
          stdout: "pub:u:4096:1:X:1:::::::scSC::::::23::0:\nfpr:::::::::0000000000000000000000000000000000000000:\n",
        },
      }),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/has fingerprint\(s\) 0{40}, not the configured D55C0D1A/);
    expect(run.calls.filter((call) => call.startsWith("apt-get"))).toEqual([]);
  });

  it("converges the apt source and key over HTTPS and refreshes the lists when they change", () => {
    const run = applyServer();
    expect(run.calls).toContain(
      "curl -fsSL --proto =https --retry 3 -o " +
        run.calls
          .find((call) => call.includes("/gpg"))
          ?.split(" -o ")[1]
          ?.split(" ")[0] +
        " https://apt.releases.hashicorp.com/gpg",
    );
    const list = readFileSync(join(run.root, "etc/apt/sources.list.d/hashicorp.list"), "utf8");
    expect(list).toBe(
      "deb [signed-by=/usr/share/keyrings/consul-federation-hashicorp.gpg] https://apt.releases.hashicorp.com noble main\n",
    );
    expect(indexOf(run.calls, /^apt-get .* update/)).toBeGreaterThan(-1);
  });

  it("finds the data volume by its ID on a virtio-scsi bus too", () => {
    const run = applyServer({
      existing: {
        [`/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${VOLUME_ID}`]: "",
        "/opt/consul/.consul-federation-joined": "",
      },
    });
    expect(run.status).toBe(0);
    expect(run.calls).toContain(`blkid /dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${VOLUME_ID}`);
  });

  it("re-owns the Raft data when the volume belongs to another UID (a VM rebuilt from another image)", () => {
    const run = applyServer({ stubs: healthyStubs({ id: { stdout: "998\n" } }) });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("chown -R consul:consul /opt/consul");
  });

  it("makes missing users with pinned IDs", () => {
    const run = applyServer({ stubs: healthyStubs({ getent: { exit: 2 } }) });
    expect(run.calls).toEqual(
      expect.arrayContaining([
        "groupadd --system --gid 8300 consul",
        "useradd --system --uid 8300 --gid consul --home-dir /opt/consul --no-create-home --shell /usr/sbin/nologin consul",
      ]),
    );
  });

  it("refuses to turn ACLs off under a running ACL stack unless the operator confirmed it", () => {
    const installed = JSON.stringify({ acl: { enabled: true } });
    const staged = stagedFiles("prod2-server-1");
    const withoutAcls = JSON.stringify({ ...JSON.parse(staged["consul.json"]), acl: undefined });
    const refused = applyServer({
      existing: { ...existingServer, "/etc/consul.d/consul.json": installed },
      staged: { "consul.json": withoutAcls },
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/this change turns ACLs off.*rollout\.confirmAclsOff/);
    expect(refused.calls.filter((call) => /^install -m/.test(call))).toEqual([]);
    const confirmed = applyServer({
      existing: { ...existingServer, "/etc/consul.d/consul.json": installed },
      staged: {
        "consul.json": withoutAcls,
        "node.env": staged["node.env"].replace("ACLS_OFF_CONFIRMED=no", "ACLS_OFF_CONFIRMED=yes"),
      },
    });
    expect(confirmed.status).toBe(0);
  });

  it("does not take the Raft data of a server that never saw its datacenter's leader for membership", () => {
    // A first deploy interrupted before quorum: raft.db exists, the datacenter has no leader yet.
    const stubs = healthyStubs();
    const rerun = applyServer({
      existing: { [`/dev/disk/by-id/virtio-${VOLUME_ID.slice(0, 20)}`]: "", "/opt/consul/raft/raft.db": "" },
      stubs: { ...stubs, curl: { when: [{ match: "status/leader", stdout: '""' }, ...(stubs.curl.when ?? [])] } },
    });
    expect(rerun.status).toBe(0);
    expect(rerun.stderr).toMatch(/the datacenter is being bootstrapped/);
  });

  it("marks a server that was a healthy voter as a member, on its data volume", () => {
    const run = applyServer({ existing: { [`/dev/disk/by-id/virtio-${VOLUME_ID.slice(0, 20)}`]: "" } });
    expect(run.status).toBe(0);
    expect(existsSync(join(run.root, "opt/consul/.consul-federation-joined"))).toBe(true);
  });

  it("keeps the installed signing key when the vendor cannot be reached", () => {
    const stubs = healthyStubs();
    const run = applyServer({
      existing: {
        ...existingServer,
        "/usr/share/keyrings/consul-federation-hashicorp.gpg.fingerprint": `${FINGERPRINT}\n`,
      },
      stubs: { ...stubs, curl: { when: [{ match: "/gpg", exit: 6 }, ...(stubs.curl.when ?? [])] } },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/keeping the installed key D55C0D1A/);
    const missing = applyServer({
      stubs: { ...stubs, curl: { when: [{ match: "/gpg", exit: 6 }, ...(stubs.curl.when ?? [])] } },
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot download the hashicorp signing key/);
  });

  it("accepts a key file that holds the old and the new key during a vendor's rotation", () => {
    const both = `pub:u:4096:1:X:1:::::::scSC::::::23::0:\nfpr:::::::::${"A".repeat(40)}:\npub:u:4096:1:Y:1:::::::scSC::::::23::0:\nfpr:::::::::${FINGERPRINT}:\n`;
    const stubs = healthyStubs();
    const run = applyServer({
      stubs: {
        ...stubs,
        gpg: {
          when: [
            { match: "--dearmor", body: "k" },
            { match: "--show-keys", stdout: both },
          ],
        },
      },
    });
    expect(run.status).toBe(0);
  });

  it("waits only when a leader exists if it is a new member of a datacenter being bootstrapped", () => {
    const stubs = healthyStubs();
    const bootstrapping = applyServer({
      existing: { [`/dev/disk/by-id/virtio-${VOLUME_ID.slice(0, 20)}`]: "" },
      stubs: { ...stubs, curl: { when: [{ match: "status/leader", stdout: '""' }, ...(stubs.curl.when ?? [])] } },
    });
    expect(bootstrapping.status).toBe(0);
    expect(bootstrapping.stderr).toMatch(/the datacenter is being bootstrapped/);
    const joining = applyServer({ existing: { [`/dev/disk/by-id/virtio-${VOLUME_ID.slice(0, 20)}`]: "" } });
    expect(joining.status).toBe(0);
    expect(indexOf(joining.calls, /autopilot\/health/)).toBeGreaterThan(-1);
  });
});

describe("node-apply.sh restarting the leader", () => {
  /** Stubs where this server (10.20.0.10) leads its datacenter; `transfer` answers the hand-over. */
  const asLeader = (transfer: { exit?: number }) => {
    const stubs = healthyStubs();
    const curl = stubs.curl as { when: { match: string }[] };
    return healthyStubs({
      curl: {
        when: [
          { match: "transfer-leader", ...transfer },
          { match: "status/leader", stdout: '"10.20.0.10:8300"' },
          ...curl.when.filter((w) => w.match !== "status/leader"),
        ],
      },
    });
  };
  /** Healthy stubs but for what autopilot reports. */
  const reportingAutopilot = (report: string) => {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    return healthyStubs({
      curl: {
        when: [
          { match: "autopilot/health", stdout: "200", body: report },
          ...curl.when.filter((w) => w.match !== "autopilot/health"),
        ],
      },
    });
  };
  const changedConfig = () => {
    const staged = stagedFiles("prod2-server-1");
    const manifest = staged["manifest.tsv"]
      .split("\n")
      .filter((line) => line.split("\t")[3] === "consul.json")
      .join("\n");
    return { ...staged, "manifest.tsv": `${manifest}\n` };
  };

  it("hands leadership over, with the staged token, before it restarts the agent", () => {
    const run = applyServer({ staged: changedConfig(), stubs: asLeader({}) });
    expect(run.status).toBe(0);
    const transfer = indexOf(
      run.calls,
      /^curl .*-X POST -H @\S+\/health-check\.token https:\/\/127\.0\.0\.1:8501\/v1\/operator\/raft\/transfer-leader$/,
    );
    expect(transfer).toBeGreaterThan(-1);
    expect(transfer).toBeLessThan(indexOf(run.calls, /^systemctl restart consul\.service/));
  });

  it("restarts all the same, and says so, when the hand-over is refused", () => {
    const run = applyServer({ staged: changedConfig(), stubs: asLeader({ exit: 22 }) });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      "could not hand leadership over before restarting; the datacenter elects a new leader instead",
    );
    expect(run.calls).toContain("systemctl restart consul.service");
  });

  it("refuses to restart a server while another is not a healthy voter: the restart would cost the quorum", () => {
    const run = applyServer({ staged: changedConfig(), stubs: reportingAutopilot(DEGRADED) });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "restarting prod2-server-1 now would cost its datacenter its quorum (another server is not a healthy voter)",
    );
    expect(run.calls).not.toContain("systemctl restart consul.service");
  });

  it("restarts a server that is itself unhealthy while the others hold the quorum (the change may be its fix)", () => {
    const selfDown = JSON.stringify({
      Healthy: true,
      FailureTolerance: 0,
      Servers: ["prod2-server-1", "prod2-server-2", "prod2-server-3"].map((Name, i) => ({
        Name,
        Healthy: i > 0,
        Voter: true,
      })),
    });
    const run = applyServer({ staged: changedConfig(), stubs: reportingAutopilot(selfDown) });
    expect(run.calls).toContain("systemctl restart consul.service");
  });

  it("hands leadership to the server restarted before it, else the last of the chain", () => {
    const configuration = (nodes: string[]) =>
      JSON.stringify({ Servers: nodes.map((Node, i) => ({ ID: `id-${Node}`, Node, Voter: true, Leader: i === 1 })) });
    for (const [nodes, expected] of [
      [["prod2-server-1", "prod2-server-2", "prod2-server-3"], "id-prod2-server-3"],
    ] as const) {
      const stubs = asLeader({});
      const curl = stubs.curl as { when: { match: string }[] };
      const run = applyServer({
        staged: changedConfig(),
        stubs: {
          ...stubs,
          curl: { when: [{ match: "raft/configuration", stdout: configuration([...nodes]) }, ...curl.when] },
        },
      });
      expect(run.calls).toContainEqual(expect.stringMatching(new RegExp(`transfer-leader\\?id=${expected}$`)));
    }
  });

  it("hands nothing over when it does not lead, or when it only reloads", () => {
    expect(applyServer({ staged: changedConfig() }).calls.some((call) => call.includes("transfer-leader"))).toBe(false);
    const staged = stagedFiles("prod2-server-1");
    const certificateOnly = staged["manifest.tsv"]
      .split("\n")
      .filter((line) => line.split("\t")[3] === "agent.pem")
      .join("\n");
    const reload = applyServer({ staged: { ...staged, "manifest.tsv": `${certificateOnly}\n` }, stubs: asLeader({}) });
    expect(reload.calls).toContain("systemctl reload consul.service");
    expect(reload.calls.some((call) => call.includes("transfer-leader"))).toBe(false);
  });
});

describe("node-apply.sh and a renewed certificate", () => {
  /** The server's staged files with a manifest of only the named ones: what changed since the last apply. */
  function changed(...names: string[]): Record<string, string> {
    const staged = stagedFiles("prod2-server-1");
    const manifest = staged["manifest.tsv"]
      .split("\n")
      .filter((line) => names.includes(line.split("\t")[3]))
      .join("\n");
    return { ...staged, "manifest.tsv": `${manifest}\n` };
  }

  it("reloads the running agent, restarting nothing, when only its certificate and key changed", () => {
    const run = applyServer({ staged: changed("agent.pem", "agent-key.pem") });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("systemctl reload consul.service");
    expect(run.calls.filter((call) => /^systemctl (re)?start consul\.service/.test(call))).toEqual([]);
    // Then it waits for the server to be a healthy voter, as after any change.
    expect(indexOf(run.calls, /autopilot\/health/)).toBeGreaterThan(indexOf(run.calls, /^systemctl reload consul/));
  });

  it("restarts the agent when it still serves its previous certificate after the reload", () => {
    const run = applyServer({
      staged: changed("agent.pem", "agent-key.pem"),
      stubs: healthyStubs({
        openssl: { when: [{ match: "-in ", stdout: "sha256 Fingerprint=NEW\n" }], stdout: "sha256 Fingerprint=OLD\n" },
      }),
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      "consul.service still serves its previous certificate after the reload; restarting it",
    );
    expect(indexOf(run.calls, /^systemctl restart consul\.service/)).toBeGreaterThan(
      indexOf(run.calls, /^systemctl reload consul\.service/),
    );
    expect(run.calls).toContainEqual(expect.stringMatching(/^openssl s_client -connect 127\.0\.0\.1:8501$/));
  });

  it("restarts, and does not also reload, when the configuration changed with it", () => {
    const run = applyServer({ staged: changed("agent.pem", "consul.json") });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("systemctl restart consul.service");
    expect(run.calls).not.toContain("systemctl reload consul.service");
  });
});

describe("node-apply.sh and the snapshot timer of a server", () => {
  it("installs the backup's credentials root-only and starts the timer after the agent", () => {
    const run = applyServer();
    expect(run.status).toBe(0);
    for (const file of ["object-store-login.json", "snapshot.token"]) {
      expect(run.calls).toContainEqual(
        expect.stringMatching(
          new RegExp(`^install -m 0600 -o root -g root \\S+ /etc/consul-backup/${file.replace(".", "\\.")}$`),
        ),
      );
    }
    const agent = indexOf(run.calls, /^systemctl (re)?start consul\.service/);
    const timer = indexOf(run.calls, /^systemctl (re)?start consul-snapshot\.timer/);
    expect(run.calls).toContain("systemctl enable consul-snapshot.timer");
    expect(agent).toBeGreaterThan(-1);
    expect(timer).toBeGreaterThan(agent);
  });

  it("leaves an empty root-only placeholder for a token another delivery installs, and never replaces it", () => {
    const staged = stagedFiles("prod2-server-1");
    const env = staged["node.env"].replace(
      "ACLS_OFF_CONFIRMED",
      "CREDENTIAL_PLACEHOLDERS=/etc/consul-backup/snapshot.token\nACLS_OFF_CONFIRMED",
    );
    const withoutToken = Object.fromEntries(Object.entries(staged).filter(([name]) => name !== "snapshot.token"));
    const manifest = withoutToken["manifest.tsv"].replace(/^.*\tsnapshot\.token\t.*\n/m, "");
    const fresh = applyServer({ staged: { ...withoutToken, "manifest.tsv": manifest, "node.env": env } });
    expect(fresh.status).toBe(0);
    expect(fresh.calls).toContain(`install -m 0600 -o root -g root /dev/null ${"/etc/consul-backup/snapshot.token"}`);
    expect(readFileSync(join(fresh.root, "etc/consul-backup/snapshot.token"), "utf8")).toBe("");
    const later = applyServer({
      staged: { ...withoutToken, "manifest.tsv": manifest, "node.env": env },
      existing: { ...existingServer, "/etc/consul-backup/snapshot.token": "from the ACL stack" },
    });
    expect(later.calls.some((call) => call.includes("/dev/null"))).toBe(false);
    expect(readFileSync(join(later.root, "etc/consul-backup/snapshot.token"), "utf8")).toBe("from the ACL stack");
  });

  it("stops the timer when backups are turned off", () => {
    const staged = stagedFiles("prod2-server-1");
    const env = staged["node.env"]
      .replace("NODE_UNITS=consul.service,consul-snapshot.timer", "NODE_UNITS=consul.service")
      .replace(
        "ACLS_OFF_CONFIRMED",
        "STOP_UNITS=consul-snapshot.timer\nRETIRED_PATHS=/etc/consul-backup,/usr/local/sbin/consul-snapshot\nACLS_OFF_CONFIRMED",
      );
    expect(env).toContain("STOP_UNITS=consul-snapshot.timer");
    const run = applyServer({
      staged: { "node.env": env },
      existing: {
        ...existingServer,
        "/etc/consul-backup/snapshot.token": "a token that no longer exists",
        "/usr/local/sbin/consul-snapshot": "#!/bin/bash\n",
      },
      stubs: healthyStubs({ systemctl: { when: [{ match: "is-active --quiet consul-snapshot.timer", exit: 0 }] } }),
    });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("systemctl disable --now consul-snapshot.timer");
    // Its token and credential are on no disk once the timer is stopped.
    expect(existsSync(join(run.root, "etc/consul-backup"))).toBe(false);
    expect(existsSync(join(run.root, "usr/local/sbin/consul-snapshot"))).toBe(false);
    expect(run.stderr.indexOf("removed /etc/consul-backup")).toBeGreaterThan(
      run.stderr.indexOf("stopping consul-snapshot.timer"),
    );
  });
});

describe("node-apply.sh on a mesh gateway", () => {
  const applyGateway = (stubs = healthyStubs(), staged: Record<string, string> = {}) =>
    runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged: stagedFiles("prod2-gateway-1", staged),
      stubs,
    });

  it("converges both repositories and returns once Envoy is ready", () => {
    const run = applyGateway();
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(
      expect.arrayContaining([expect.stringMatching(/^curl .*https:\/\/apt\.envoyproxy\.io\/signing\.key$/)]),
    );
    expect(indexOf(run.calls, /^curl .*\/ready/)).toBeGreaterThan(
      indexOf(run.calls, /^systemctl (re)?start consul-mesh-gateway/),
    );
  });

  it("installs nftables where the image lacks nft (Envoy's unit loads its admin firewall with it), else not", () => {
    const bare = applyGateway();
    expect(bare.status).toBe(0);
    const install = indexOf(bare.calls, /^apt-get .* install .*\bnftables$/);
    expect(install).toBeGreaterThan(-1);
    expect(install).toBeLessThan(indexOf(bare.calls, /^systemctl (re)?start consul-mesh-gateway/));
    // Its package lists are read once the repositories are converged, which the packages after it need.
    expect(indexOf(bare.calls, /^apt-get .* update/)).toBeGreaterThan(indexOf(bare.calls, /^curl .*signing\.key$/));
    expect(bare.calls.filter((call) => /^apt-get .* update/.test(call))).toHaveLength(1);
    // Marked as installed by hand: removing what depended on it does not take it away from under Envoy's units.
    expect(bare.calls).toContain("apt-mark manual nftables");
    // Loaded again on every delivery, before Envoy (re)starts.
    expect(indexOf(bare.calls, /^systemctl (re)?start consul-envoy-admin-firewall\.service$/)).toBeLessThan(
      indexOf(bare.calls, /^systemctl (re)?start consul-mesh-gateway/),
    );
    const withNft = runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged: stagedFiles("prod2-gateway-1"),
      stubs: healthyStubs(),
      existing: { "/usr/sbin/nft": "" },
    });
    expect(withNft.status).toBe(0);
    expect(withNft.calls.filter((call) => /^apt-get .*install.*nftables/.test(call))).toEqual([]);
    // Marked as installed by hand however it came: an autoremove must not take it from under Envoy's units.
    expect(withNft.calls).toContain("apt-mark manual nftables");
  });

  it("returns only once the gateway's checks pass on its agent, asked with the gateway's own token", () => {
    const run = applyGateway(healthyStubs());
    expect(run.status).toBe(0);
    const checks = indexOf(
      run.calls,
      /^curl .*-H @\S+\/gateway\.header https:\/\/127\.0\.0\.1:8501\/v1\/agent\/health\/service\/name\/mesh-gateway$/,
    );
    expect(checks).toBeGreaterThan(indexOf(run.calls, /\/ready$/));
    const stubs = healthyStubs();
    const curl = stubs.curl as { when: { match: string }[] };
    const critical = applyGateway(
      healthyStubs({ curl: { when: [{ match: "agent/health/service/name/", stdout: "503" }, ...curl.when] } }),
    );
    expect(critical.status).toBe(1);
    expect(critical.stderr).toContain("the mesh gateway's checks do not pass");
  });

  it("fails when Envoy never becomes ready", () => {
    const stubs = healthyStubs();
    const run = applyGateway({ ...stubs, curl: { when: [{ match: "/ready", exit: 7 }, ...(stubs.curl.when ?? [])] } });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Envoy is not ready/);
  });

  it("restarts only Envoy, not the agent, when only Envoy's package changes", () => {
    const staged = stagedFiles("prod2-gateway-1");
    staged["node.env"] = staged["node.env"].replace("ENVOY_PACKAGE=envoy-1.35", "ENVOY_PACKAGE=envoy-1.35=1.35.6");
    // Every file already installed as it is staged: only the package differs.
    const installed = staged["manifest.tsv"]
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t"));
    const run = runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged,
      existing: Object.fromEntries(installed.map(([, , , name, destination]) => [destination, staged[name]])),
      existingPermissions: Object.fromEntries(
        installed.map(([mode, owner, group, , destination]) => [
          destination,
          `${mode.replace(/^0/, "")} ${owner} ${group}`,
        ]),
      ),
      stubs: healthyStubs({ "dpkg-query": { when: [{ match: "envoy", stdout: "1.34.2" }], stdout: "1.22.4-1" } }),
    });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("systemctl restart consul-mesh-gateway.service");
    expect(run.calls).not.toContain("systemctl restart consul.service");
  });

  it("makes Envoy's own user beside the agent's, with pinned IDs", () => {
    const run = applyGateway(healthyStubs({ getent: { exit: 2 } }));
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(
      expect.arrayContaining([
        "groupadd --system --gid 8300 consul",
        "groupadd --system --gid 8301 consul-envoy",
        "useradd --system --uid 8301 --gid consul-envoy --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin consul-envoy",
      ]),
    );
  });

  it("takes /etc/consul.d back from the package and makes the sandboxed agent's data directory, before any start", () => {
    const run = applyGateway();
    expect(run.status).toBe(0);
    const packages = indexOf(run.calls, /^apt-get .*install/);
    const settings = indexOf(run.calls, /^install -d -m 0751 -o root -g consul \/etc\/consul\.d$/);
    const data = indexOf(run.calls, /^install -d -m 0750 -o consul -g consul \/opt\/consul$/);
    const start = indexOf(run.calls, /^systemctl (re)?start consul\.service/);
    expect({ packages, settings, data, start }).toEqual({
      packages: expect.any(Number),
      settings: expect.any(Number),
      data: expect.any(Number),
      start: expect.any(Number),
    });
    expect([packages < settings, settings < start, data < start, data > -1]).toEqual([true, true, true, true]);
    expect(statSync(join(run.root, "etc/consul.d")).mode & 0o777).toBe(0o751);
    expect(statSync(join(run.root, "opt/consul")).mode & 0o777).toBe(0o750);
  });

  it("stops Envoy when the gateway no longer runs it (a move below the mesh stage)", () => {
    const staged = stagedFiles("prod2-gateway-1");
    const env = staged["node.env"]
      .replace(
        "NODE_UNITS=consul.service,consul-envoy-admin-firewall.service,consul-mesh-gateway.service",
        "NODE_UNITS=consul.service",
      )
      .replace("ACLS_OFF_CONFIRMED", "STOP_UNITS=consul-mesh-gateway.service\nACLS_OFF_CONFIRMED");
    expect(env).toContain("NODE_UNITS=consul.service\n");
    const run = applyGateway(healthyStubs(), { "node.env": env });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("systemctl disable --now consul-mesh-gateway.service");
  });
});

describe("node-apply.sh and a CA rotation", () => {
  const dir = mkdtempSync(join(tmpdir(), "ca-rotation-"));
  const openssl = (...args: string[]) => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr}`);
  };
  const pem = (name: string) => readFileSync(join(dir, name), "utf8");
  /** CA generations 0 to 3, each with a certificate of its own for this server. */
  const generations = [0, 1, 2, 3];
  beforeAll(() => {
    if (!spawnSync("openssl", ["version"]).stdout) return;
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    for (const g of generations) {
      openssl(
        "req",
        "-x509",
        ...ec,
        "-keyout",
        `ca${g}.key`,
        "-out",
        `ca${g}.pem`,
        "-days",
        "30",
        "-subj",
        `/CN=Consul Agent CA ${g}`,
      );
      openssl("req", ...ec, "-keyout", `agent${g}.key`, "-out", `agent${g}.csr`, "-subj", "/CN=server.prod2.consul");
      openssl(
        "x509",
        "-req",
        "-in",
        `agent${g}.csr`,
        "-CA",
        `ca${g}.pem`,
        "-CAkey",
        `ca${g}.key`,
        "-out",
        `agent${g}.pem`,
        "-days",
        "30",
      );
    }
  });
  const bundle = (...gens: number[]) => gens.map((g) => pem(`ca${g}.pem`)).join("");
  /** A server at rotation `from` (installed) receiving the files of rotation `to` (staged). */
  function rotate(from: number, to: number) {
    const trusted = (n: number) => (n === 0 ? [0, 1] : [n - 1, n, n + 1]);
    return applyServer({
      existing: {
        ...existingServer,
        "/etc/consul.d/tls/ca.pem": bundle(...trusted(from)),
        "/etc/consul.d/tls/agent.pem": pem(`agent${from}.pem`),
      },
      staged: { "ca.pem": bundle(...trusted(to)), "agent.pem": pem(`agent${to}.pem`) },
      stubs: healthyStubs({
        // openssl verify for real; the served certificate's fingerprint as in a healthy node.
        openssl: { when: [{ match: "verify", realCommand: true }], stdout: "sha256 Fingerprint=AA:BB\n" },
      }),
    });
  }

  itWithTool("openssl", "moves a server one rotation on: the new trust keeps the peers not reached yet", () => {
    const run = rotate(0, 1);
    expect(run.stderr).not.toContain("rotation.ca moved");
    expect(run.status).toBe(0);
    expect(readFileSync(join(run.root, "etc/consul.d/tls/agent.pem"), "utf8")).toBe(pem("agent1.pem"));
    expect(rotate(1, 2).status).toBe(0);
  });

  itWithTool("openssl", "refuses a rotation moved by two before it changes anything", () => {
    const run = rotate(0, 2);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "the new CA bundle does not trust the certificate this node and the nodes not reached yet present",
    );
    expect(readFileSync(join(run.root, "etc/consul.d/tls/ca.pem"), "utf8")).toBe(bundle(0, 1));
    expect(run.calls.filter((call) => /^systemctl (restart|reload) consul/.test(call))).toEqual([]);
  });

  itWithTool("openssl", "refuses a certificate of a CA the installed bundle does not hold", () => {
    const foreign = applyServer({
      existing: {
        ...existingServer,
        "/etc/consul.d/tls/ca.pem": bundle(0, 1),
        "/etc/consul.d/tls/agent.pem": pem("agent0.pem"),
      },
      staged: { "ca.pem": bundle(0, 1, 3), "agent.pem": pem("agent3.pem") },
      stubs: healthyStubs({
        openssl: { when: [{ match: "verify", realCommand: true }], stdout: "sha256 Fingerprint=AA:BB\n" },
      }),
    });
    expect(foreign.status).toBe(1);
    expect(foreign.stderr).toContain("the new certificate is signed by a CA the nodes not reached yet do not trust");
  });
});

describe("node-apply.sh and a Consul upgrade of a running server", () => {
  /** The server runs 1.22.3 and is a member; nothing but the package changes. */
  function upgrade(curlFirst: { match: string; stdout?: string; exit?: number }[] = []) {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    return applyServer({
      staged: { "manifest.tsv": "" },
      existing: { ...existingServer, "/etc/consul.d/tls/ca.pem": "installed" },
      stubs: healthyStubs({
        "dpkg-query": { when: [{ match: "envoy", stdout: "1.35.6" }], stdout: "1.22.3-1" },
        curl: { when: [...curlFirst, ...curl.when] },
      }),
    });
  }

  it("checks the quorum before apt runs, whose package script restarts the agent, and restarts it no second time", () => {
    const run = upgrade();
    expect(run.status).toBe(0);
    const install = indexOf(run.calls, /^apt-get .* install .*consul=1\.22\.4-1/);
    expect(install).toBeGreaterThan(-1);
    expect(indexOf(run.calls, /autopilot\/health/)).toBeLessThan(install);
    expect(run.stderr).toContain("the package upgrade restarted consul.service");
    expect(run.calls.filter((call) => /^systemctl restart consul\.service/.test(call))).toEqual([]);
    // The folders the package re-owned for the consul user go back to root.
    expect(run.calls.some((call) => /^chown root:root .*\/etc\/consul\.d\/tls/.test(call))).toBe(true);
    // It still returns only once the server is a healthy voter again.
    expect(run.calls.slice(install).some((call) => call.includes("autopilot/health"))).toBe(true);
  });

  it("hands leadership over before apt runs when it leads", () => {
    const run = upgrade([{ match: "status/leader", stdout: '"10.20.0.10:8300"' }]);
    const install = indexOf(run.calls, /^apt-get .* install .*consul=1\.22\.4-1/);
    expect(indexOf(run.calls, /transfer-leader/)).toBeGreaterThan(-1);
    expect(indexOf(run.calls, /transfer-leader/)).toBeLessThan(install);
  });

  it("does not upgrade while its datacenter would lose its quorum", () => {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    const run = applyServer({
      staged: { "manifest.tsv": "" },
      stubs: healthyStubs({
        "dpkg-query": { when: [{ match: "envoy", stdout: "1.35.6" }], stdout: "1.22.3-1" },
        curl: { when: [{ match: "autopilot/health", stdout: "429", body: DEGRADED }, ...curl.when] },
      }),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("would cost its datacenter its quorum");
    expect(run.calls.some((call) => /^apt-get .* install/.test(call))).toBe(false);
  });
});

describe("node-apply.sh and rotated tokens in a secondary", () => {
  const staged = stagedFiles("prod2-server-1");
  /** The running server's configuration: the same, with the previous generation of every token. */
  const installed = (overrides: Record<string, unknown> = {}) => {
    const config = JSON.parse(staged["consul.json"]);
    for (const key of Object.keys(config.acl.tokens)) config.acl.tokens[key] = `previous-${key}`;
    return JSON.stringify({ ...config, ...overrides });
  };
  function rotate(tokenSelf: string, config = installed()) {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    return applyServer({
      existing: { ...existingServer, "/etc/consul.d/consul.json": config },
      stubs: healthyStubs({ curl: { when: [{ match: "acl/token/self", stdout: tokenSelf }, ...curl.when] } }),
    });
  }

  it("switches only once every new token resolves through the local agent", () => {
    const run = rotate("200");
    expect(run.status).toBe(0);
    const checks = run.calls.filter((call) => call.includes("/v1/acl/token/self"));
    // The agent configuration's new tokens (one value here, as Terraform's references are stand-ins) and the
    // apply script's own; never a secret in the arguments.
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.every((call) => call.includes("-H @") && !call.includes("value-from-terraform"))).toBe(true);
    expect(indexOf(run.calls, /acl\/token\/self/)).toBeLessThan(indexOf(run.calls, /^install .*consul\.json/));
  });

  it("waits, then stops before changing anything, while replication has not brought them", () => {
    const run = rotate("403");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("a new token does not resolve in this datacenter yet");
    expect(run.calls.some((call) => /^install .*consul\.json/.test(call))).toBe(false);
    expect(run.calls.filter((call) => /^systemctl (restart|reload) /.test(call))).toEqual([]);
  });

  it("repairs a damaged consul.json, checking every token of the new one", () => {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    const run = applyServer({
      existing: { ...existingServer, "/etc/consul.d/consul.json": "{ not json" },
      stubs: healthyStubs({ curl: { when: [{ match: "acl/token/self", stdout: "200" }, ...curl.when] } }),
    });
    expect(run.status).toBe(0);
    expect(run.calls.some((call) => call.includes("/v1/acl/token/self"))).toBe(true);
    expect(run.calls).toContainEqual(expect.stringMatching(/^install .*consul\.json/));
  });

  it("stops, rather than skip the check, when it cannot read the new configuration", () => {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    const run = applyServer({
      existing: { ...existingServer, "/etc/consul.d/consul.json": installed() },
      staged: { "consul.json": "{ not json" },
      stubs: healthyStubs({ curl: { when: [{ match: "acl/token/self", stdout: "200" }, ...curl.when] } }),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("could not tell which tokens are new to this node; nothing was changed");
  });

  it("waits for a secondary's new snapshot token too", () => {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    const same = { ...existingServer, "/etc/consul.d/consul.json": staged["consul.json"] };
    const stubs = healthyStubs({ curl: { when: [{ match: "acl/token/self", stdout: "403" }, ...curl.when] } });
    // Every other token is the one installed: only the snapshot token is new, and it does not resolve yet.
    const run = applyServer({ existing: same, staged: { "snapshot.token": "new-snapshot" }, stubs });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("a new token does not resolve in this datacenter yet");
    expect(applyServer({ existing: same, stubs }).status).toBe(0);
  });

  it("does not ask before Connect joins the secondary to the primary (nothing can resolve there yet)", () => {
    const run = rotate("403", installed({ connect: { enabled: false } }));
    expect(run.status).toBe(0);
    expect(run.calls.some((call) => call.includes("/v1/acl/token/self"))).toBe(false);
  });
});

describe("node-apply.sh and the initial management token of a primary server", () => {
  const staged = stagedFiles("prod1-server-1");
  const MARKER = "/opt/consul/.consul-federation-acl-bootstrapped";
  const installedConfig = (run: { root: string }) =>
    JSON.parse(readFileSync(join(run.root, "etc/consul.d/consul.json"), "utf8")) as { acl: { tokens?: object } };
  function applyPrimary(tokenSelf: string, existing: Record<string, string> = {}) {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    return runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged,
      existing: { ...existingServer, ...existing },
      stubs: healthyStubs({
        curl: {
          when: [
            { match: "acl/token/self", stdout: tokenSelf },
            { match: "autopilot/health", stdout: "200", body: primaryHealthy },
            ...curl.when,
          ],
        },
      }),
    });
  }

  it("is delivered in consul.json (Consul creates it when a server first leads)", () => {
    expect(JSON.parse(staged["consul.json"]).acl.tokens).toHaveProperty("initial_management");
  });

  it("leaves no file holding it once the ACL system holds it, and restarts nothing for that", () => {
    const run = applyPrimary("200");
    expect(run.status).toBe(0);
    expect(installedConfig(run).acl.tokens ?? {}).not.toHaveProperty("initial_management");
    expect(existsSync(join(run.root, MARKER.slice(1)))).toBe(true);
    expect(run.stderr).toContain("the ACL system holds the initial management token");
    // The next delivery, with the same files: the token is taken out of the staged file before it is compared, so
    // consul.json counts as unchanged and the agent keeps running.
    const onlyConfig = staged["manifest.tsv"]
      .split("\n")
      .filter((line) => line.split("\t")[3] === "consul.json")
      .join("\n");
    const again = runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged: { ...staged, "manifest.tsv": `${onlyConfig}\n` },
      existing: {
        ...existingServer,
        [MARKER]: "",
        "/etc/consul.d/consul.json": readFileSync(join(run.root, "etc/consul.d/consul.json"), "utf8"),
      },
      existingPermissions: { "/etc/consul.d/consul.json": "640 root consul" },
      stubs: healthyStubs({
        curl: {
          when: [
            { match: "acl/token/self", stdout: "200" },
            { match: "autopilot/health", stdout: "200", body: primaryHealthy },
            ...(healthyStubs().curl as { when: { match: string }[] }).when,
          ],
        },
      }),
    });
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain("updated /etc/consul.d/consul.json");
    expect(again.calls).not.toContain("systemctl restart consul.service");
    expect(again.calls).toContainEqual(expect.stringMatching(/^consul validate /));
  });

  it("keeps it while the ACL system does not hold it yet (a datacenter being bootstrapped)", () => {
    const run = applyPrimary("403");
    expect(run.status).toBe(0);
    expect(installedConfig(run).acl.tokens).toHaveProperty("initial_management");
    expect(existsSync(join(run.root, MARKER.slice(1)))).toBe(false);
  });
});

describe("node-apply.sh refuses before anything changes", () => {
  it("checks new tokens before a package upgrade, whose package script would restart the agent", () => {
    const staged = stagedFiles("prod2-server-1");
    const config = JSON.parse(staged["consul.json"]);
    for (const key of Object.keys(config.acl.tokens)) config.acl.tokens[key] = `previous-${key}`;
    const curl = healthyStubs().curl as { when: { match: string }[] };
    const run = applyServer({
      existing: { ...existingServer, "/etc/consul.d/consul.json": JSON.stringify(config) },
      stubs: healthyStubs({
        "dpkg-query": { when: [{ match: "envoy", stdout: "1.35.6" }], stdout: "1.22.3-1" },
        curl: { when: [{ match: "acl/token/self", stdout: "403" }, ...curl.when] },
      }),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("a new token does not resolve in this datacenter yet");
    expect(run.calls.some((call) => /^apt-get .* install/.test(call))).toBe(false);
  });

  it("does not restart unchecked when ACLs refuse the quorum check with tokens that resolve", () => {
    const staged = stagedFiles("prod2-server-1");
    const config = JSON.parse(staged["consul.json"]);
    config.acl.tokens.agent = "previous-agent";
    const curl = healthyStubs().curl as { when: { match: string }[] };
    const run = applyServer({
      existing: { ...existingServer, "/etc/consul.d/consul.json": JSON.stringify(config) },
      stubs: healthyStubs({
        curl: {
          when: [
            { match: "acl/token/self", stdout: "200" },
            { match: "autopilot/health", stdout: "403" },
            ...curl.when,
          ],
        },
      }),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("ACLs refused the quorum check with a token that resolves here");
    expect(run.calls).not.toContain("systemctl restart consul.service");
  });
});

describe("node-apply.sh after a Consul package re-owned its files", () => {
  it("sets owner and mode back without restarting anything when the content is the same", () => {
    const staged = stagedFiles("prod2-server-1");
    const onlyConfig = staged["manifest.tsv"]
      .split("\n")
      .filter((line) => line.split("\t")[3] === "consul.json")
      .join("\n");
    const run = applyServer({
      staged: { "manifest.tsv": `${onlyConfig}\n` },
      existing: { ...existingServer, "/etc/consul.d/consul.json": staged["consul.json"] },
    });
    expect(run.status).toBe(0);
    expect(run.calls).toContain("chown root:consul /etc/consul.d/consul.json");
    expect(run.stderr).toContain("set owner and mode of /etc/consul.d/consul.json back");
    expect(run.calls.filter((call) => /^systemctl (restart|reload) consul/.test(call))).toEqual([]);
  });
});

describe("node-apply.sh and a server that never wrote its member marker", () => {
  it("still guards its restart while it is a peer of a datacenter with a leader", () => {
    const withoutMarker = Object.fromEntries(
      Object.entries(existingServer).filter(([path]) => path !== "/opt/consul/.consul-federation-joined"),
    );
    const run = applyServer({
      staged: { "manifest.tsv": "" },
      existing: withoutMarker,
      stubs: healthyStubs({ "dpkg-query": { when: [{ match: "envoy", stdout: "1.35.6" }], stdout: "1.22.3-1" } }),
    });
    expect(run.status).toBe(0);
    const install = indexOf(run.calls, /^apt-get .* install .*consul=1\.22\.4-1/);
    expect(indexOf(run.calls, /autopilot\/health/)).toBeGreaterThan(-1);
    expect(indexOf(run.calls, /autopilot\/health/)).toBeLessThan(install);
  });
});

describe("node-apply.sh on a primary server whose ACL system does not hold its token yet", () => {
  it("does not wait for the management token to resolve (ACLs being turned on)", () => {
    const staged = stagedFiles("prod1-server-1");
    const curl = healthyStubs().curl as { when: { match: string }[] };
    const run = runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged,
      existing: { ...existingServer, "/etc/consul.d/consul.json": staged["consul.json"] },
      stubs: healthyStubs({
        curl: {
          when: [
            { match: "acl/token/self", stdout: "403" },
            { match: "autopilot/health", stdout: "200", body: primaryHealthy },
            ...curl.when,
          ],
        },
      }),
    });
    expect(run.status).toBe(0);
    expect(run.stderr).not.toContain("does not resolve");
  });
});

describe("node-apply.sh and Terraform's management token (rotation.terraformToken from 1 on)", () => {
  const secret = (generation: number) => `00000000-0000-4000-8000-00000000000${generation}`;
  const accessor = (generation: number) => terraformTokenAccessorId("prod1", generation);
  const SERVERS = ["10.10.0.10", "10.10.0.11", "10.10.0.12"];

  /** A primary server's staged files at `generation`, as the primary's stack renders them then. */
  function stagedAt(generation: number, node = "prod1-server-3"): Record<string, string> {
    const staged = stagedFiles(node);
    delete staged["drop-initial-management.py"];
    const config = JSON.parse(staged["consul.json"]);
    delete config.acl.tokens.initial_management;
    const file = managementTokenFile({
      generation,
      accessorId: accessor(generation),
      description: terraformTokenDescription(generation),
      policyId: GLOBAL_MANAGEMENT_POLICY_ID,
      generations: Array.from({ length: generation + 1 }, (_, i) => generation - i).map((g) => ({
        generation: g,
        secret: secret(g),
      })),
      servers: SERVERS,
    });
    return {
      ...staged,
      "consul.json": JSON.stringify(config),
      // The apply script's own token is Terraform's current one (it may not exist yet: the script then chooses).
      "health-check.token": `X-Consul-Token: ${secret(generation)}\n`,
      [file.name]: file.content,
    };
  }

  interface AclState {
    /** Tokens by secret. */
    readonly tokens: Record<string, { AccessorID: string; Description: string }>;
    readonly bootstrapped: boolean;
    /** Servers whose running configuration holds the initial management token. */
    readonly holders: readonly string[];
    /** Servers that do not answer /v1/agent/self. */
    readonly silent?: readonly string[];
  }

  /** A curl that plays Consul's ACL API with a state; every other call goes to the healthy stub. */
  const aclCurl = (state: AclState) => `#!/bin/bash
printf '%s\\n' "curl $*" >>"$HARNESS_DIR/calls"
case "$*" in
  */v1/acl/* | */v1/agent/self | */v1/operator/autopilot/health) ;;
  *) exec curl-default "$@" ;;
esac
exec python3 - "$@" <<'PY'
import json, os, sys, uuid
args = sys.argv[1:]
path = os.path.join(os.environ["HARNESS_DIR"], "acl.json")
state = json.load(open(path)) if os.path.exists(path) else json.loads(${JSON.stringify(JSON.stringify(state))})
def value(flag):
    return args[args.index(flag) + 1] if flag in args else None
header = value("-H")
caller = open(header[1:]).read().split(":", 1)[1].strip() if header else None
method, url, fail = value("-X") or "GET", args[-1], "-fsS" in args
def answer(code, body=""):
    json.dump(state, open(path, "w"))
    out = value("-o")
    if out and out != "/dev/null":
        open(out, "w").write(body)
    elif not out:
        sys.stdout.write(body)
    if "-w" in args:
        sys.stdout.write(str(code))
    sys.exit(22 if fail and code >= 400 else 0)
def body():
    return json.load(open(value("--data-binary")[1:]))
known = caller in state["tokens"]
if url.endswith("/v1/operator/autopilot/health"):
    answer(200, ${JSON.stringify(primaryHealthy)}) if known else answer(403, "ACL not found")
if url.endswith("/v1/agent/self"):
    address = url.split("//", 1)[1].split(":", 1)[0]
    if address in state.get("silent", []):
        sys.exit(28)
    answer(200, json.dumps({"DebugConfig": {"ACLInitialManagementToken": "hidden" if address in state["holders"] else ""}}))
if url.endswith("/v1/acl/token/self"):
    answer(200, json.dumps(state["tokens"][caller])) if known else answer(403, "ACL not found")
if url.endswith("/v1/acl/bootstrap"):
    # A reset index in the data directory lets the ACL system be bootstrapped again; Consul then removes the file.
    reset = os.path.join(os.environ["HARNESS_DIR"], "root", "opt", "consul", "acl-bootstrap-reset")
    if state["bootstrapped"] and not os.path.exists(reset):
        answer(403, "Permission denied: ACL bootstrap no longer allowed (reset index: 12)")
    if os.path.exists(reset):
        os.remove(reset)
    state["bootstrapped"] = True
    state["tokens"][body()["BootstrapSecret"]] = {"AccessorID": str(uuid.uuid4()), "Description": "Bootstrap Token (Global Management)"}
    answer(200, "{}")
if not known:
    answer(403, "Permission denied")
if method == "PUT" and url.endswith("/v1/acl/token"):
    token = body()
    state["tokens"][token["SecretID"]] = {"AccessorID": token["AccessorID"], "Description": token["Description"]}
    answer(200, "{}")
if method == "DELETE":
    gone = url.rsplit("/", 1)[1]
    state["tokens"] = {k: v for k, v in state["tokens"].items() if v["AccessorID"] != gone}
    answer(200, "true")
answer(500, "unexpected " + method + " " + url)
PY
`;

  /** node-apply.sh on a primary server against Consul's ACL API in `state` (the rest answered as healthy). */
  function applyAgainst(
    staged: Record<string, string>,
    state: AclState,
    options: { existing?: Record<string, string>; existingPermissions?: Record<string, string> } = {},
  ) {
    const curl = healthyStubs().curl as { when: { match: string }[] };
    return runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged,
      existing: { ...existingServer, ...options.existing },
      existingPermissions: options.existingPermissions,
      stubs: healthyStubs({
        "curl-default": { when: [{ match: "autopilot/health", stdout: "200", body: primaryHealthy }, ...curl.when] },
      }),
      scriptedStubs: { curl: aclCurl(state) },
    });
  }

  function apply(generation: number, state: AclState, options: { node?: string } = {}) {
    const run = applyAgainst(stagedAt(generation, options.node), state);
    const after = existsSync(join(run.harness, "acl.json"))
      ? (JSON.parse(readFileSync(join(run.harness, "acl.json"), "utf8")) as AclState)
      : state;
    return { ...run, tokens: Object.keys(after.tokens).sort() };
  }

  const initial: AclState["tokens"] = {
    [secret(0)]: { AccessorID: "11111111-1111-4111-8111-111111111111", Description: "Initial Management Token" },
  };

  it("makes the current generation with the initial management token; a server before the last keeps that one while another holds it", () => {
    const run = apply(1, { tokens: initial, bootstrapped: true, holders: ["10.10.0.11"] }, { node: "prod1-server-1" });
    expect(run.status).toBe(0);
    expect(run.calls).toContainEqual(
      expect.stringMatching(
        /^curl .*-X PUT -H @\S+\/health-check\.token --data-binary @\S+\/management-create\.json https:\/\/127\.0\.0\.1:8501\/v1\/acl\/token$/,
      ),
    );
    expect(run.tokens).toEqual([secret(0), secret(1)]);
    expect(run.stderr).toContain(
      "kept the initial management token for now: a server of this datacenter still holds it",
    );
    // Every server is asked, by its private address, with the current generation (so that every holder is named).
    expect(run.calls.filter((call) => /https:\/\/10\.10\.0\.\d+:8501\/v1\/agent\/self$/.test(call))).toHaveLength(3);
  });

  it("the datacenter's last server stops the deploy while a server still holds it (it would come back)", () => {
    const run = apply(1, { tokens: initial, bootstrapped: true, holders: ["10.10.0.11"] });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "the initial management token cannot be deleted: the server(s) at 10.10.0.11 still hold it in memory",
    );
    expect(run.tokens).toEqual([secret(0), secret(1)]);
  });

  it("restarts a server that holds it in memory, guarded like any restart, so that the deploy can delete it", () => {
    // Every file already installed as it is staged: nothing else would restart the agent.
    const staged = stagedAt(1, "prod1-server-1");
    const installed = staged["manifest.tsv"]
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t"));
    const applyWith = (holders: string[], silent: string[] = []) =>
      applyAgainst(
        staged,
        { tokens: initial, bootstrapped: true, holders, silent },
        {
          existing: Object.fromEntries(installed.map(([, , , name, destination]) => [destination, staged[name]])),
          existingPermissions: Object.fromEntries(
            installed.map(([mode, owner, group, , destination]) => [
              destination,
              `${mode.replace(/^0/, "")} ${owner} ${group}`,
            ]),
          ),
        },
      );
    const holding = applyWith(["127.0.0.1"]);
    expect(holding.status).toBe(0);
    expect(holding.stderr).toContain("the agent may hold the initial management token in memory");
    expect(holding.calls).toContain("systemctl restart consul.service");
    // The quorum check before it, as for every restart of a member.
    expect(indexOf(holding.calls, /autopilot\/health/)).toBeLessThan(
      holding.calls.indexOf("systemctl restart consul.service"),
    );
    const shed = applyWith([]);
    expect(shed.status).toBe(0);
    expect(shed.calls).not.toContain("systemctl restart consul.service");
    // An agent that does not answer is restarted too: it may hold the token, and would make it again when it leads.
    const silent = applyWith([], ["127.0.0.1"]);
    expect(silent.stderr).toContain(
      "the agent may hold the initial management token in memory (read at its start), or did not say",
    );
    expect(silent.calls).toContain("systemctl restart consul.service");
  });

  it("deletes the initial management token once no server of the datacenter holds it in memory", () => {
    const run = apply(1, { tokens: initial, bootstrapped: true, holders: [] });
    expect(run.status).toBe(0);
    expect(run.tokens).toEqual([secret(1)]);
    for (const address of SERVERS)
      expect(run.calls.some((call) => call.includes(`https://${address}:8501/v1/agent/self`))).toBe(true);
    expect(run.calls).toContainEqual(
      expect.stringMatching(
        /-X DELETE -H @\S+\/management-current\.header https:\/\/127\.0\.0\.1:8501\/v1\/acl\/token\/11111111-/,
      ),
    );
    expect(run.stderr).toContain("deleted generation 0 of Terraform's management token");
  });

  it("bootstraps a new ACL system through the API with the current generation: no configuration holds a management token", () => {
    const run = apply(1, { tokens: {}, bootstrapped: false, holders: [] });
    expect(run.status).toBe(0);
    expect(run.tokens).toEqual([secret(1)]);
    expect(run.calls).toContainEqual(
      expect.stringMatching(
        /--data-binary @\S+\/management-bootstrap\.json https:\/\/127\.0\.0\.1:8501\/v1\/acl\/bootstrap$/,
      ),
    );
    expect(run.stderr).toContain("bootstrapped the ACL system with Terraform's management token (generation 1)");
    const installed = JSON.parse(readFileSync(join(run.root, "etc/consul.d/consul.json"), "utf8"));
    expect(installed.acl.tokens).not.toHaveProperty("initial_management");
  });

  it("after a restore from an older snapshot, makes the current generation from the one the snapshot holds", () => {
    const snapshot = { [secret(1)]: { AccessorID: accessor(1), Description: terraformTokenDescription(1) } };
    const run = apply(3, { tokens: snapshot, bootstrapped: true, holders: [] });
    expect(run.status).toBe(0);
    expect(run.tokens).toEqual([secret(3)]);
    expect(run.stderr).toContain("created generation 3 of Terraform's management token");
    expect(run.stderr).toContain("deleted generation 1 of Terraform's management token");
  });

  it("after a restore from another state's snapshot, bootstraps the current generation with the reset index", () => {
    const other = { "99999999-9999-4999-8999-999999999999": { AccessorID: "x", Description: "the old federation's" } };
    const staged = stagedAt(2, "prod1-server-1");
    // A running member, bootstrapped before (the marker), with the reset index the README says to write.
    const run = applyAgainst(
      staged,
      { tokens: other, bootstrapped: true, holders: [] },
      {
        existing: {
          "/opt/consul/.consul-federation-acl-bootstrapped": "",
          "/opt/consul/acl-bootstrap-reset": "12\n",
          "/etc/consul.d/consul.json": staged["consul.json"],
        },
      },
    );
    expect(run.stderr).not.toContain("a new token does not resolve");
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("bootstrapped the ACL system with Terraform's management token (generation 2)");
    expect(existsSync(join(run.root, "opt/consul/acl-bootstrap-reset"))).toBe(false);
  });

  it("a delivery retried on a new ACL system (ACLs on, never bootstrapped) bootstraps before its health check", () => {
    const staged = stagedAt(1);
    const run = applyAgainst(
      staged,
      { tokens: {}, bootstrapped: false, holders: [] },
      { existing: { "/etc/consul.d/consul.json": staged["consul.json"] } },
    );
    expect(run.status).toBe(0);
    const bootstrap = indexOf(run.calls, /\/v1\/acl\/bootstrap$/);
    const lastHealth = run.calls.map((call) => /autopilot\/health/.test(call)).lastIndexOf(true);
    expect(bootstrap).toBeGreaterThan(-1);
    expect(lastHealth).toBeGreaterThan(bootstrap);
  });

  it("refuses, deleting nothing, when the ACL system holds none of the generations", () => {
    const other = { "99999999-9999-4999-8999-999999999999": { AccessorID: "x", Description: "someone's" } };
    const run = apply(2, { tokens: other, bootstrapped: true, holders: [] });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("no generation of Terraform's management token up to the configured one resolves");
    expect(run.calls.some((call) => call.includes("-X DELETE"))).toBe(false);
  });

  it("a server before the last one leaves the token to the last one while the ACL system does not answer yet", () => {
    const staged = stagedAt(1, "prod1-server-1");
    const run = runNodeScript({
      script: SCRIPT,
      scriptName: "node-apply.sh",
      staged,
      existing: existingServer,
      stubs: healthyStubs({
        "curl-default": {
          when: [
            { match: "autopilot/health", stdout: "200", body: primaryHealthy },
            ...(healthyStubs().curl as { when: { match: string }[] }).when,
          ],
        },
      }),
      // ACLs turned on here while the leader still runs without them: every ACL call is refused.
      scriptedStubs: {
        curl: `#!/bin/bash
printf '%s\\n' "curl $*" >>"$HARNESS_DIR/calls"
case "$*" in
  */v1/acl/*) [[ "$*" == *-w* ]] && printf 401; exit 22 ;;
  *) exec curl-default "$@" ;;
esac
`,
      },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("could not bootstrap the ACL system yet: the next server of the datacenter does");
    // Tried once, not waited out.
    expect(run.calls.filter((call) => call.endsWith("/v1/acl/bootstrap"))).toHaveLength(1);
  });
});
