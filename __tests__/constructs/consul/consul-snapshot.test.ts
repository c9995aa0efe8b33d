import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { itWithTool } from "../../support/validators";
import { exampleFiles } from "../../support/example";
import { runNodeScript, StubBehaviour } from "../../support/node-harness";

/**
 * consul-snapshot as the timer's unit and an operator run it on a server of prod2, with the files the example
 * delivers, against stub commands: curl (Consul, Keystone, Swift) and consul record every call.
 */
const files = exampleFiles();
const node = (name: string) => files.get(`nodes/prod2/prod2-server-1/${name}`) as string;
const SCRIPT = node("consul-snapshot");
const SETTINGS = node("backup.env").replace(/^CONTAINER=.*$/m, "CONTAINER=consul-snapshots-prod2");
const CONTAINER = "https://swift.example/v1/AUTH_p/consul-snapshots-prod2";
const endpoint = (type: string, endpoints: [string, string, string][]) => ({
  type,
  endpoints: endpoints.map(([iface, region, url]) => ({ interface: iface, region, url })),
});
/**
 * What the stack renders into object-store-login: Keystone's request, the deploying token's catalog (Keystone in
 * two regions here; an object store URL as a template, as a bare endpoint list would show it), the region.
 */
const LOGIN = JSON.stringify({
  request: { auth: { identity: { methods: ["application_credential"] } } },
  catalog: [
    endpoint("identity", [
      ["public", "RegionOne", "https://keystone-one.example:5000/v3"],
      ["public", "RegionTwo", "https://keystone.example:5000/v3/"],
      ["internal", "RegionTwo", "http://keystone.internal:5000"],
    ]),
    endpoint("object-store", [["public", "RegionTwo", "https://swift.example/v1/AUTH_$(project_id)s"]]),
  ],
  region: "RegionTwo",
  identityRegion: "RegionTwo",
});
/** Keystone's answer to the login: the token's catalog, with the project filled in. */
const KEYSTONE_BODY = JSON.stringify({
  token: {
    catalog: [
      endpoint("object-store", [
        ["public", "RegionOne", "https://swift-one.example/v1/AUTH_p"],
        ["internal", "RegionTwo", "http://swift.internal/v1/AUTH_p"],
        ["public", "RegionTwo", "https://swift.example/v1/AUTH_p/"],
      ]),
    ],
  },
});
const SNAPSHOT = "raft snapshot bytes";

/** A snapshot name `hoursAgo` hours old. */
const nameAged = (hoursAgo: number) =>
  `${new Date(Date.now() - hoursAgo * 3_600_000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}.snap`;
/** An object of the container: by default the object storage stored it at the time its name carries. */
type Stored = string | { readonly name: string; readonly storedHoursAgo: number };
const swiftTime = (date: Date) => date.toISOString().replace("Z", "000");
const fromName = (name: string) =>
  new Date(name.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z.*$/, "$1-$2-$3T$4:$5:$6Z"));
const listing = (objects: readonly Stored[]) =>
  JSON.stringify([
    ...objects.map((object) => {
      const name = typeof object === "string" ? object : object.name;
      const stored =
        typeof object === "string" ? fromName(name) : new Date(Date.now() - object.storedHoursAgo * 3_600_000);
      return { name, bytes: 12, hash: "x", last_modified: swiftTime(stored) };
    }),
    { name: "not-a-snapshot.txt", bytes: 1 },
  ]);

interface Scenario {
  readonly leader?: boolean;
  readonly stored?: readonly Stored[];
  readonly uploadFails?: boolean;
  readonly keystoneDown?: boolean;
  readonly inspectFails?: boolean;
  readonly deleteStatus?: string;
  readonly token?: string;
  readonly args?: readonly string[];
  /** An armored public key: the settings name it, as the example's do with backups.encryptionKey. */
  readonly encryptTo?: string;
  /** The object-store-login file, when not the default one. */
  readonly login?: string;
}

function run(scenario: Scenario) {
  const curl: StubBehaviour = {
    when: [
      { match: "status/leader", stdout: scenario.leader === false ? '"10.20.0.11:8300"' : '"10.20.0.10:8300"' },
      { match: "agent/check/", stdout: "" },
      scenario.keystoneDown
        ? { match: "auth/tokens", exit: 7 }
        : {
            match: "auth/tokens",
            headers: "HTTP/1.1 201 Created\r\nx-subject-token: keystone-token\r\n\r\n",
            body: KEYSTONE_BODY,
          },
      { match: "format=json", body: listing(scenario.stored ?? []) },
      { match: "-X DELETE", stdout: scenario.deleteStatus ?? "204" },
      { match: "-X PUT", exit: scenario.uploadFails ? 22 : 0, keepsFileAfter: "-T" },
      { match: "-X GET", body: SNAPSHOT },
    ],
  };
  const consul: StubBehaviour = {
    when: [
      { match: "snapshot save", createsLast: SNAPSHOT },
      { match: "snapshot inspect", exit: scenario.inspectFails ? 1 : 0 },
    ],
  };
  return runNodeScript({
    script: SCRIPT,
    scriptName: "consul-snapshot",
    staged: {},
    existing: {
      "/etc/consul-backup/backup.env": scenario.encryptTo
        ? `${SETTINGS}ENCRYPT_TO=/etc/consul-backup/encryption-key.asc\n`
        : SETTINGS,
      ...(scenario.encryptTo ? { "/etc/consul-backup/encryption-key.asc": scenario.encryptTo } : {}),
      "/etc/consul-backup/object-store-login.json": scenario.login ?? LOGIN,
      "/etc/consul-backup/snapshot.token": scenario.token ?? "snapshot-token",
      "/etc/consul.d/tls/ca.pem": "CA",
    },
    stubs: { curl, consul },
    args: scenario.args ?? ["backup"],
    realCommands: ["gpg"],
  });
}

const index = (calls: readonly string[], text: string) => calls.findIndex((call) => call.includes(text));
const checkReports = (calls: readonly string[]) =>
  calls.filter((call) => call.includes("/v1/agent/check/")).map((call) => call.split(" ").pop());

describe("consul-snapshot backup", () => {
  const fresh = [nameAged(3), nameAged(2), nameAged(1)];

  it("on the leader: saves, checks, uploads with its MD5 as ETag, prunes to the newest 48, then reports fresh", () => {
    const old = Array.from({ length: 50 }, (_, i) => nameAged((50 - i) / 60));
    // A name the clock of an earlier leader put ahead of now: kept like any other, by its place in the order.
    const result = run({ stored: old });
    expect(result.status).toBe(0);
    const { calls } = result;
    const save = index(calls, "consul snapshot save");
    const inspect = index(calls, "consul snapshot inspect");
    const login = index(calls, "auth/tokens");
    const upload = calls.findIndex((call) => call.includes("-X PUT") && call.includes(CONTAINER));
    const deletes = calls.filter((call) => call.includes("-X DELETE"));
    const report = index(calls, "/v1/agent/check/");
    expect([save, inspect, login, upload, index(calls, "-X DELETE"), report].every((i) => i >= 0)).toBe(true);
    expect(save < inspect && inspect < login && login < upload && upload < index(calls, "-X DELETE")).toBe(true);
    expect(index(calls, "-X DELETE") < report).toBe(true);
    expect(calls[upload]).toContain(`-H ETag: ${createHash("md5").update(SNAPSHOT).digest("hex")}`);
    expect(calls[upload]).toMatch(/\/consul-snapshots-prod2\/\d{8}T\d{6}Z\.snap$/);
    // Never over an object of the same name.
    expect(calls[upload]).toContain("-H If-None-Match: *");
    // Keystone of the datacenter's region; the object store from the login's own catalog (the project filled in).
    expect(calls[login]).toMatch(/ https:\/\/keystone\.example:5000\/v3\/auth\/tokens$/);
    // 50 in the container plus the upload, and retain 48: the three oldest go, and nothing that is not a snapshot.
    expect(deletes.map((call) => call.split("/").pop())).toEqual([old[0], old[1], old[2]]);
    expect(checkReports(calls)).toEqual([expect.stringMatching(/\/v1\/agent\/check\/pass\/consul-snapshot-age$/)]);
    // No token in any argument: the Consul token travels in a header file, Keystone's too.
    expect(calls.some((call) => call.includes("snapshot-token") || call.includes("keystone-token"))).toBe(false);
  });

  it("logs in to the Keystone of identityRegion when the datacenter's region has none of its own", () => {
    const login = JSON.stringify({ ...JSON.parse(LOGIN), identityRegion: "RegionOne" });
    const result = run({ leader: false, stored: fresh, login });
    expect(result.status).toBe(0);
    expect(result.calls).toContainEqual(
      expect.stringMatching(/ https:\/\/keystone-one\.example:5000\/v3\/auth\/tokens$/),
    );
  });

  it("on a follower: takes no snapshot and reports the age of the newest one", () => {
    const result = run({ leader: false, stored: fresh });
    expect(result.status).toBe(0);
    expect(index(result.calls, "snapshot save")).toBe(-1);
    expect(result.calls.some((call) => call.includes("-X PUT") && call.includes(CONTAINER))).toBe(false);
    expect(result.calls.some((call) => call.includes("-X DELETE"))).toBe(false);
    expect(checkReports(result.calls)).toEqual([expect.stringMatching(/check\/pass\/consul-snapshot-age$/)]);
    expect(result.stderr).toMatch(/newest snapshot \d{8}T\d{6}Z\.snap is \d+s old \(stale after 7500s\)/);
  });

  it("turns the check critical when the newest snapshot is older than two periods, or there is none", () => {
    for (const stored of [[nameAged(5), nameAged(3)], []]) {
      const result = run({ leader: false, stored });
      expect(checkReports(result.calls)).toEqual([expect.stringMatching(/check\/fail\/consul-snapshot-age$/)]);
    }
  });

  it("fails the unit when the upload fails, deletes nothing, and still reports what the container holds", () => {
    const result = run({ stored: [nameAged(4), nameAged(3)], uploadFails: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/uploading \d{8}T\d{6}Z\.snap to .* failed/);
    expect(result.calls.some((call) => call.includes("-X DELETE"))).toBe(false);
    expect(checkReports(result.calls)).toEqual([expect.stringMatching(/check\/fail\/consul-snapshot-age$/)]);
  });

  it("fails the unit on an invalid snapshot and uploads nothing", () => {
    const result = run({ stored: fresh, inspectFails: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("the snapshot is not valid (consul snapshot inspect failed); nothing was uploaded");
    expect(result.calls.some((call) => call.includes("-X PUT") && call.includes(CONTAINER))).toBe(false);
  });

  it("fails without renewing the check when the object storage cannot be reached: the TTL expires instead", () => {
    const result = run({ leader: false, stored: fresh, keystoneDown: true });
    expect(result.status).toBe(1);
    expect(checkReports(result.calls)).toEqual([]);
    expect(result.stderr).toContain("the freshness check is not renewed");
  });

  it("never deletes below the retained count, nor the snapshot it just uploaded", () => {
    const result = run({ stored: fresh });
    expect(result.status).toBe(0);
    expect(result.calls.some((call) => call.includes("-X DELETE"))).toBe(false);
    // A leader whose clock ran ahead named 48 snapshots after this upload: retention and freshness go by the
    // object storage's own time, and the upload stays.
    const future = Array.from({ length: 48 }, (_, i) => ({ name: nameAged(-(i + 10)), storedHoursAgo: 48 - i }));
    const ahead = run({ stored: future });
    const uploaded = ahead.calls
      .find((call) => call.includes("-X PUT") && call.includes(CONTAINER))
      ?.split("/")
      .pop();
    const deleted = ahead.calls.filter((call) => call.includes("-X DELETE")).map((call) => call.split("/").pop());
    expect(deleted).toEqual([future[0].name]);
    expect(deleted).not.toContain(uploaded);
    const follower = run({ leader: false, stored: future });
    expect(follower.stderr).toContain(`newest snapshot ${future[47].name} is`);
    expect(follower.stderr).toMatch(/is 3\d{3}s old/);
  });

  it("counts a snapshot already deleted (by another leader's prune) as deleted, and fails on other errors", () => {
    const old = Array.from({ length: 49 }, (_, i) => nameAged((50 - i) / 60));
    expect(run({ stored: old, deleteStatus: "404" }).status).toBe(0);
    const refused = run({ stored: old, deleteStatus: "403" });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/deleting \d{8}T\d{6}Z\.snap failed \(HTTP 403\)/);
  });

  it("stops at once, saying where the token comes from, when ACLs are on and the token has not arrived", () => {
    const result = run({ token: "" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("no snapshot token in /etc/consul-backup/snapshot.token yet: the ACL stack");
    expect(result.calls).toEqual([]);
  });

  it("gives the leader's run of the same elapse time to upload before a follower reports", () => {
    const result = run({ leader: false, stored: [nameAged(1.5)] });
    const listings = result.calls.filter((call) => call.includes("format=json"));
    expect(listings.length).toBeGreaterThan(1);
    expect(result.calls).toContain("sleep 15");
    // The snapshot of the period before is still fresh: pass.
    expect(checkReports(result.calls)).toEqual([expect.stringMatching(/check\/pass\/consul-snapshot-age$/)]);
  });
});

describe("consul-snapshot backup with an encryption key", () => {
  const gpg = (home: string, ...args: string[]) =>
    spawnSync("gpg", ["--batch", "--homedir", home, ...args], { encoding: "utf8" });

  itWithTool("gpg", "uploads the snapshot encrypted to the key, which only its private half opens", () => {
    const home = mkdtempSync(join(tmpdir(), "backup-key-"));
    expect(
      gpg(home, "--passphrase", "", "--quick-generate-key", "backups@example.org", "default", "default", "never")
        .status,
    ).toBe(0);
    const publicKey = gpg(home, "--armor", "--export", "backups@example.org").stdout;
    const result = run({ stored: [nameAged(1)], encryptTo: publicKey });
    expect(result.status).toBe(0);
    const upload = result.calls.find((call) => call.includes("-X PUT") && call.includes(CONTAINER)) as string;
    expect(upload).toMatch(/\/consul-snapshots-prod2\/\d{8}T\d{6}Z\.snap\.gpg$/);
    const uploaded = readFileSync(join(result.harness, "uploaded"));
    expect(uploaded.includes(Buffer.from(SNAPSHOT))).toBe(false);
    expect(upload).toContain(`-H ETag: ${createHash("md5").update(uploaded).digest("hex")}`);
    const decrypted = spawnSync("gpg", ["--batch", "--homedir", home, "--decrypt", join(result.harness, "uploaded")], {
      encoding: "utf8",
    });
    // gpg started an agent for this home to make and use the key: it would outlive the test run.
    spawnSync("gpgconf", ["--homedir", home, "--kill", "gpg-agent"]);
    rmSync(home, { recursive: true, force: true });
    expect(decrypted.stdout).toBe(SNAPSHOT);
  });

  it("refuses a key it cannot encrypt to, and uploads nothing", () => {
    const result = run({
      stored: [nameAged(1)],
      encryptTo: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbroken\n-----END PGP PUBLIC KEY BLOCK-----\n",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "encrypting the snapshot to /etc/consul-backup/encryption-key.asc failed; nothing was uploaded",
    );
    expect(result.calls.some((call) => call.includes("-X PUT") && call.includes(CONTAINER))).toBe(false);
  });

  it("counts encrypted snapshots for freshness, and sends their restore to where the key lives", () => {
    const stored: Stored[] = [nameAged(2), `${nameAged(1).replace(".snap", ".snap.gpg")}`];
    const follower = run({ leader: false, stored });
    expect(follower.stderr).toMatch(/newest snapshot \d{8}T\d{6}Z\.snap\.gpg is \d+s old/);
    const restore = run({ stored, args: ["restore", "latest", "--yes"] });
    expect(restore.status).toBe(1);
    expect(restore.stderr).toMatch(/is encrypted to the backups' key, .* restore it with --file/);
  });
});

describe("consul-snapshot restore", () => {
  const stored = [nameAged(3), nameAged(1)];

  it("downloads the newest snapshot, checks it, then restores it", () => {
    const result = run({ stored, args: ["restore", "latest", "--yes"] });
    expect(result.status).toBe(0);
    const download = result.calls.findIndex((call) => call.includes("-X GET") && call.endsWith(`/${stored[1]}`));
    const inspect = index(result.calls, "consul snapshot inspect");
    const restore = index(result.calls, "consul snapshot restore");
    expect(download >= 0 && download < inspect && inspect < restore).toBe(true);
  });

  it("restores nothing without --yes, from an invalid file, or for a name that is not a snapshot's", () => {
    for (const [scenario, message] of [
      [{ stored, args: ["restore", "latest"] }, /replaces the whole Raft state of prod2 .* add --yes/],
      [
        { stored, inspectFails: true, args: ["restore", "latest", "--yes"] },
        /is not a valid snapshot; nothing was restored/,
      ],
      [{ stored, args: ["restore", "../../etc/passwd", "--yes"] }, /is not a snapshot name/],
    ] as const) {
      const result = run(scenario);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(index(result.calls, "consul snapshot restore")).toBe(-1);
    }
  });

  it("lists the container's snapshots with their age", () => {
    const result = run({ stored, args: ["list"] });
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(new RegExp(`^${stored[0]}\\t12 bytes\\t\\d+s old$`)),
      expect.stringMatching(new RegExp(`^${stored[1]}\\t12 bytes\\t\\d+s old$`)),
    ]);
  });
});
