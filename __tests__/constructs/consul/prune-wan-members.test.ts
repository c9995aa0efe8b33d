import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/fixtures";
import { runNodeScript } from "../../support/node-harness";
import { itWithTool, shellcheck } from "../../support/validators";

/**
 * prune-wan-members.sh as the keyring stack runs it on a primary server, against a curl that plays Consul's agent
 * API: GET /v1/agent/members?wan=1 answers the WAN pool of a state file, in which each member's status advances
 * by one step per listing through `then` (a destroyed VM turning failed); PUT /v1/agent/force-leave/<name> with
 * prune erases a failed or left member and leaves an alive one alone, as serf does.
 */
const SCRIPT = readFileSync(join(REPO_ROOT, "constructs", "consul", "files", "prune-wan-members.sh"), "utf8");
const GONE = "prod3-server-1.prod3,prod3-server-2.prod3";

interface Member {
  readonly Name: string;
  readonly Status: number;
  /** Statuses of the following listings. */
  readonly then?: number[];
}

const ALIVE = 1;
const LEFT = 3;
const FAILED = 4;

const curlStub = (members: readonly Member[]) => `#!/bin/bash
printf '%s\\n' "curl $*" >>"$HARNESS_DIR/calls"
exec python3 - "$@" <<'PY'
import json, os, sys
args = sys.argv[1:]
state_file = os.path.join(os.environ["HARNESS_DIR"], "wan.json")
members = json.load(open(state_file)) if os.path.exists(state_file) else json.loads(${JSON.stringify(JSON.stringify(members))})
url, method, out = args[-1], args[args.index("-X") + 1], args[args.index("-o") + 1]
if method == "GET" and url.endswith("/v1/agent/members?wan=1"):
    open(out, "w").write(json.dumps([{"Name": m["Name"], "Status": m["Status"]} for m in members]))
    for m in members:
        if m.get("then"): m["Status"] = m["then"].pop(0)
elif method == "PUT" and "/v1/agent/force-leave/" in url and url.endswith("?prune=1&wan=1"):
    name = url.split("/v1/agent/force-leave/")[1].split("?")[0]
    members = [m for m in members if m["Name"] != name or m["Status"] == 1]
    open(out, "w").write("")
else:
    open(out, "w").write("unexpected request"); sys.exit(22)
json.dump(members, open(state_file, "w"))
PY
`;

function prune(members: readonly Member[]) {
  return runNodeScript({
    script: SCRIPT,
    scriptName: "prune-wan-members.sh",
    staged: {
      "prune.env": `CONSUL_HTTPS_ADDR=127.0.0.1:8501\nCONSUL_CA_FILE=/etc/consul.d/tls/ca.pem\nGONE_SERVERS=${GONE}\n`,
      "management-token.header": "X-Consul-Token: s3cr3t-token\n",
    },
    stubs: {},
    scriptedStubs: { curl: curlStub(members) },
  });
}

const primary = [
  { Name: "prod1-server-1.prod1", Status: ALIVE },
  { Name: "prod2-server-1.prod2", Status: FAILED },
];
const forceLeaves = (calls: string[]) =>
  calls
    .filter((call) => call.includes("/v1/agent/force-leave/"))
    .map((call) => call.split("/v1/agent/force-leave/")[1]);

describe("prune-wan-members.sh", () => {
  it("force-leaves and prunes the gone servers from the WAN pool, no other member, then finds them gone", () => {
    const result = prune([
      ...primary,
      { Name: "prod3-server-1.prod3", Status: FAILED },
      { Name: "prod3-server-2.prod3", Status: LEFT },
    ]);
    expect(result.status).toBe(0);
    expect(forceLeaves(result.calls)).toEqual([
      "prod3-server-1.prod3?prune=1&wan=1",
      "prod3-server-2.prod3?prune=1&wan=1",
    ]);
    expect(result.stderr).toContain("no server of prod3-server-1.prod3, prod3-server-2.prod3 is left in the WAN pool");
    // The token travels in a header file, never in arguments; the staging folder goes.
    const curls = result.calls.filter((call) => call.startsWith("curl "));
    expect(curls.length).toBeGreaterThan(0);
    expect(curls.every((call) => call.includes("-H @") && !call.includes("s3cr3t"))).toBe(true);
    expect(result.stagingRemoved).toBe(true);
  });

  it("waits while a destroyed server is still counted alive, then prunes it once the pool declares it failed", () => {
    const result = prune([...primary, { Name: "prod3-server-1.prod3", Status: ALIVE, then: [ALIVE, FAILED] }]);
    expect(result.status).toBe(0);
    expect(result.calls.filter((call) => call.startsWith("sleep"))).toHaveLength(2);
    expect(forceLeaves(result.calls)).toEqual(["prod3-server-1.prod3?prune=1&wan=1"]);
  });

  it("removes nothing and stops the deploy when a server it should prune still answers (its VM still runs)", () => {
    const result = prune([
      ...primary,
      { Name: "prod3-server-1.prod3", Status: ALIVE },
      { Name: "prod3-server-2.prod3", Status: FAILED },
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /prod3-server-1\.prod3 still answer\(s\) in the WAN pool after \d+s, so nothing was removed: its VM still runs \(deploy its datacenter's stack/,
    );
    expect(forceLeaves(result.calls)).toEqual([]);
    expect(result.stagingRemoved).toBe(true);
  });

  it("does nothing once the servers are gone (a later deploy, or a datacenter that never federated)", () => {
    const result = prune(primary);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("is in the WAN pool; nothing to do");
    expect(forceLeaves(result.calls)).toEqual([]);
  });

  it("stops the deploy with Consul's words when the API refuses", () => {
    const result = runNodeScript({
      script: SCRIPT,
      scriptName: "prune-wan-members.sh",
      staged: {
        "prune.env": `CONSUL_HTTPS_ADDR=127.0.0.1:8501\nCONSUL_CA_FILE=/etc/consul.d/tls/ca.pem\nGONE_SERVERS=${GONE}\n`,
        "management-token.header": "X-Consul-Token: s3cr3t-token\n",
      },
      stubs: { curl: { exit: 22, body: "Permission denied: token lacks operator:write" } },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "Consul refused GET /v1/agent/members?wan=1: Permission denied: token lacks operator:write",
    );
  });

  itWithTool("shellcheck", "passes shellcheck", () => {
    expect(shellcheck(SCRIPT)).toEqual([]);
  });
});
