import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const USERS = [0, 8301, 8300, 65534] as const;

/**
 * Loads an nftables ruleset with the real nft in a network and mount namespace of its own (nothing of this
 * machine's rules or users is touched), starts a listener on 127.0.0.1:19000 owned by Envoy's user (8301), and connects to it as
 * each user in USERS. Returns which were admitted, or undefined (with a warning) where this machine cannot
 * make a network namespace.
 */
export function admittedToEnvoyAdmin(ruleset: string): Record<string, "admitted" | "refused"> | undefined {
  const probe = spawnSync("unshare", ["--net", "--mount", "true"], { encoding: "utf8" });
  if (probe.status !== 0) {
    console.warn(`skipping the nftables run: cannot make a network namespace (${probe.stderr.trim()})`);
    return undefined;
  }
  const directory = mkdtempSync(join(tmpdir(), "firewall-"));
  try {
    const file = join(directory, "ruleset.json");
    writeFileSync(file, ruleset);
    // Node runs the listener and the clients: it is on every machine that runs these tests, for every user.
    const listener = join(directory, "listen.js");
    writeFileSync(listener, 'require("node:net").createServer((socket) => socket.end()).listen(19000, "127.0.0.1");\n');
    const client = join(directory, "connect.js");
    writeFileSync(
      client,
      `const socket = require("node:net").connect(19000, "127.0.0.1");
socket.on("connect", () => { console.log("admitted"); socket.destroy(); });
socket.on("error", () => console.log("refused"));
`,
    );
    chmodSync(directory, 0o755);
    const node = process.execPath;
    // The rule names Envoy's user, which nft resolves when it loads it: this machine's users plus consul-envoy (8301),
    // seen through a mount namespace of the test's own.
    const passwd = join(directory, "passwd");
    writeFileSync(
      passwd,
      `${readFileSync("/etc/passwd", "utf8")}consul-envoy:x:8301:8301::/nonexistent:/usr/sbin/nologin\n`,
    );
    const script = [
      "set -eu",
      `mount --bind ${passwd} /etc/passwd`,
      "ip link set lo up",
      // As Envoy's unit does before every start: the second load must replace the first, not fail.
      `nft --json --file ${file}`,
      `nft --json --file ${file}`,
      `setpriv --reuid 8301 --regid 8301 --clear-groups ${node} ${listener} &`,
      `for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/19000) 2>/dev/null && break; sleep 0.1; done`,
      ...USERS.map(
        (uid) => `printf '%s ' ${uid}; setpriv --reuid ${uid} --regid ${uid} --clear-groups ${node} ${client}`,
      ),
      "kill %1",
    ].join("\n");
    const run = spawnSync("unshare", ["--net", "--mount", "bash", "-c", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (run.status !== 0) throw new Error(`nftables run failed (${run.status}): ${run.stderr}`);
    return Object.fromEntries(
      run.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" ") as [string, "admitted" | "refused"]),
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
