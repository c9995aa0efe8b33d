import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/fixtures";
import { runNodeScript } from "../../support/node-harness";
import { itWithTool, shellcheck } from "../../support/validators";

/**
 * rotate-gossip-key.sh as the ACL stack runs it on a primary server, against a curl that plays Consul's keyring
 * API: it keeps the keys of every pool in a state file, installs (POST), makes primary (PUT) and removes (DELETE)
 * the key of the request body, and answers GET with every pool's Keys, PrimaryKeys and NumNodes.
 */
const SCRIPT = readFileSync(join(REPO_ROOT, "constructs", "consul", "files", "rotate-gossip-key.sh"), "utf8");
const OLD = "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleQ==";
const NEW = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleQ==";

interface Pool {
  readonly WAN: boolean;
  readonly Datacenter: string;
  readonly NumNodes: number;
  /** Keys each agent has, the primary first. */
  readonly agents: string[][];
}

const pool = (datacenter: string, wan: boolean, nodes: number, keys: string[] = [OLD]): Pool => ({
  WAN: wan,
  Datacenter: datacenter,
  NumNodes: nodes,
  agents: Array.from({ length: nodes }, () => [...keys]),
});

/** The keyring API, in python behind a bash curl: state in $HARNESS_DIR/keyring.json, first `pools`. */
const curlStub = (pools: readonly object[]) => `#!/bin/bash
printf '%s\\n' "curl $*" >>"$HARNESS_DIR/calls"
exec python3 - "$@" <<'PY'
import json, os, sys
args = sys.argv[1:]
state_file = os.path.join(os.environ["HARNESS_DIR"], "keyring.json")
if args[-1].endswith("/v1/status/leader"):
    print('"10.10.0.10:8300"'); sys.exit(0)
if "/v1/health/node/" in args[-1]:
    node = args[-1].split("/v1/health/node/")[1].split("?")[0]
    status = "critical" if node in os.environ.get("DEAD_NODES", "").split(",") else "passing"
    open(args[args.index("-o") + 1], "w").write(json.dumps([{"CheckID": "serfHealth", "Status": status}]))
    sys.exit(0)
method = args[args.index("-X") + 1]
local_only = args[-1].endswith("?local-only=true")
pools = json.load(open(state_file)) if os.path.exists(state_file) else json.loads(${JSON.stringify(JSON.stringify(pools))})
out = args[args.index("-o") + 1] if "-o" in args else None
if method == "GET" and any(p.get("failGlobal") for p in pools) and not local_only:
    open(out, "w").write("1/2 nodes reported success"); sys.exit(22)
if method == "GET":
    answer = [{"WAN": p["WAN"], "Datacenter": p["Datacenter"], "NumNodes": p["NumNodes"],
               "Keys": {k: sum(k in a for a in p["agents"]) for a in p["agents"] for k in a},
               "PrimaryKeys": {k: sum(a[0] == k for a in p["agents"] if a) for a in p["agents"] for k in a[:1]}}
              for p in pools if not p.get("silent") and not (local_only and p["Datacenter"] != "prod1")]
    open(out, "w").write(json.dumps(answer)); sys.exit(0)
key = json.load(open(args[args.index("--data") + 1][1:]))["Key"]
for p in pools:
    if p.get("silent"): continue
    for i, a in enumerate(p["agents"]):
        if p.get("stale", 0) > i and method == "PUT": continue
        if method == "POST" and key not in a: a.append(key)
        if method == "PUT" and key in a: a.remove(key); a.insert(0, key)
        if method == "DELETE":
            if a and a[0] == key: print("cannot remove the primary key", file=sys.stderr); sys.exit(22)
            if key in a: a.remove(key)
json.dump(pools, open(state_file, "w"))
if out: open(out, "w").write("")
PY
`;

type Scenario = Pool & { silent?: boolean; stale?: number; failGlobal?: boolean };

/** The nodes the federation runs, as the keyring stack lists them. */
const NODES = ["prod1", "prod2"]
  .flatMap((dc) =>
    [1, 2, 3].map((n) => `${dc}/${dc}-server-${n}`).concat([1, 2].map((n) => `${dc}/${dc}-gateway-${n}`)),
  )
  .join(",");

function rotate(pools: readonly Scenario[], deadNodes: readonly string[] = []) {
  return runNodeScript({
    script: SCRIPT,
    scriptName: "rotate-gossip-key.sh",
    env: { DEAD_NODES: deadNodes.join(",") },
    staged: {
      "keyring.env": `CONSUL_HTTPS_ADDR=127.0.0.1:8501\nCONSUL_CA_FILE=/etc/consul.d/tls/ca.pem\nLAN_MEMBERS=prod1:5,prod2:5\nWAN_MEMBERS=6\nFEDERATION_NODES=${NODES}\n`,
      "gossip-key.json": JSON.stringify({ Key: NEW }),
      "management-token.header": "X-Consul-Token: management\n",
    },
    stubs: {},
    scriptedStubs: { curl: curlStub(pools) },
  });
}

describe("rotate-gossip-key.sh", () => {
  const federation = () => [
    pool("prod1", false, 5),
    pool("prod2", false, 5),
    pool("prod1", true, 6),
    pool("prod2", true, 6),
  ];

  const run = rotate;

  it("installs the new key everywhere, makes it primary, checks every agent uses it, then removes the old", () => {
    const result = run(federation());
    expect(result.status).toBe(0);
    const methods = result.calls
      .filter((call) => call.includes("/v1/operator/keyring"))
      .map((call) => call.split(" -X ")[1]?.split(" ")[0]);
    // Listed, checked for every agent, installed, used, checked again, every agent still there, old key removed.
    expect(methods).toEqual(["GET", "GET", "POST", "PUT", "GET", "GET", "DELETE", "GET"]);
    expect(result.stderr).toContain("every agent of prod1, prod2 has the new key alone");
    // Keys travel in files, never in arguments.
    expect(result.calls.some((call) => call.includes(NEW) || call.includes(OLD))).toBe(false);
    expect(result.stagingRemoved).toBe(true);
  });

  it("does nothing when every agent already has the key alone", () => {
    const result = run([pool("prod1", false, 5, [NEW]), pool("prod2", false, 5, [NEW])]);
    expect(result.status).toBe(0);
    expect(result.calls.filter((call) => / -X (POST|PUT|DELETE) /.test(call))).toEqual([]);
  });

  it("does nothing, without failing, when another datacenter fails the listing but the primary has the key alone", () => {
    const result = run([{ ...pool("prod1", false, 5, [NEW]), failGlobal: true }, pool("prod2", false, 5, [NEW])]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("Consul refused GET /v1/operator/keyring: 1/2 nodes reported success");
    expect(result.stderr).toContain("every agent of the primary uses the key alone; nothing to do");
    expect(result.calls.filter((call) => / -X (POST|PUT|DELETE) /.test(call))).toEqual([]);
  });

  it("changes nothing while an agent is down or has left: it would miss the new key", () => {
    const result = run([pool("prod1", false, 5), pool("prod2", false, 4), pool("prod1", true, 6)]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("LAN pool of prod2: 4 of its 5 agents answer");
    expect(result.calls.filter((call) => / -X (POST|PUT|DELETE) /.test(call))).toEqual([]);
  });

  it("changes nothing while a datacenter does not answer (not federated yet)", () => {
    const result = run([pool("prod1", false, 5), { ...pool("prod2", false, 5), silent: true }]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("not every agent answers the keyring, so nothing was changed");
    expect(result.stderr).toContain("datacenter prod2 did not answer");
    expect(result.calls.filter((call) => / -X (POST|PUT|DELETE) /.test(call))).toEqual([]);
  });

  it("changes nothing while a node of the federation is down, even when other agents make up the count", () => {
    // prod2-gateway-2 is down; another client agent in prod2's pool keeps its count at 5.
    const result = run(federation(), ["prod2-gateway-2"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("a node of the federation is down, so nothing was changed");
    expect(result.stderr).toContain("prod2-gateway-2 of prod2 is not alive");
    expect(result.calls.filter((call) => / -X (POST|PUT|DELETE) /.test(call))).toEqual([]);
  });

  it("removes no key while an agent still encrypts with the old one", () => {
    const result = run([pool("prod1", false, 5), { ...pool("prod2", false, 5), stale: 1 }]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("not every agent uses the new key, so no key was removed");
    expect(result.stderr).toContain("LAN pool of prod2: 4 of 5 agents use the new key");
    expect(result.calls.filter((call) => / -X DELETE /.test(call))).toEqual([]);
  });

  itWithTool("shellcheck", "passes shellcheck", () => {
    expect(shellcheck(SCRIPT)).toEqual([]);
  });
});
