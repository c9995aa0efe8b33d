import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rotatedDescription } from "../../../domain/token-rotation";
import { REPO_ROOT } from "../../support/fixtures";
import { runNodeScript } from "../../support/node-harness";
import { itWithTool, shellcheck } from "../../support/validators";

/**
 * retire-tokens.sh as the last stack runs it on a primary server, against a curl that plays Consul's ACL token
 * API: GET /v1/acl/tokens lists the tokens of a state file, DELETE /v1/acl/token/<id> removes one (404 for one
 * that is gone, 500 for one marked to fail).
 */
const SCRIPT = readFileSync(join(REPO_ROOT, "constructs", "consul", "files", "retire-tokens.sh"), "utf8");

interface Token {
  readonly AccessorID: string;
  readonly Description: string;
  readonly vanishes?: boolean;
  readonly fails?: boolean;
}

const curlStub = (tokens: readonly Token[]) => `#!/bin/bash
printf '%s\\n' "curl $*" >>"$HARNESS_DIR/calls"
exec python3 - "$@" <<'PY'
import json, os, sys
args = sys.argv[1:]
state_file = os.path.join(os.environ["HARNESS_DIR"], "tokens.json")
tokens = json.load(open(state_file)) if os.path.exists(state_file) else json.loads(${JSON.stringify(JSON.stringify(tokens))})
method = args[args.index("-X") + 1]
out = args[args.index("-o") + 1]
url = args[-1]
if method == "GET" and url.endswith("/v1/acl/tokens"):
    open(out, "w").write(json.dumps([{k: v for k, v in t.items() if k in ("AccessorID", "Description")} for t in tokens if not t.get("vanishes")]))
    sys.exit(0)
accessor = url.rsplit("/", 1)[1]
token = next((t for t in tokens if t["AccessorID"] == accessor), None)
if token is None or token.get("vanishes"):
    open(out, "w").write("ACL not found"); sys.exit(22)
if token.get("fails"):
    open(out, "w").write("rpc error: No cluster leader"); sys.exit(22)
json.dump([t for t in tokens if t is not token], open(state_file, "w"))
open(out, "w").write("true")
PY
`;

const AGENT = "Agent token of prod2-server-1 (prod2)";
const NOMAD = "Nomad servers";
const retired = [
  { description: AGENT, current: 2 },
  { description: NOMAD, current: 1 },
];
const token = (id: number, Description: string, extra: Partial<Token> = {}): Token => ({
  AccessorID: `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
  Description,
  ...extra,
});

function retire(tokens: readonly Token[], current: readonly string[]) {
  return runNodeScript({
    script: SCRIPT,
    scriptName: "retire-tokens.sh",
    staged: {
      "retire.env": "CONSUL_HTTPS_ADDR=127.0.0.1:8501\nCONSUL_CA_FILE=/etc/consul.d/tls/ca.pem\n",
      "retired.json": JSON.stringify(retired),
      "current-accessors.json": JSON.stringify(current),
      "management-token.header": "X-Consul-Token: management\n",
    },
    stubs: {},
    scriptedStubs: { curl: curlStub(tokens) },
  });
}

const deletedIds = (calls: readonly string[]) =>
  calls.filter((call) => call.includes(" -X DELETE ")).map((call) => call.split("/v1/acl/token/")[1]);

describe("retire-tokens.sh", () => {
  const federation = [
    token(1, AGENT),
    token(2, rotatedDescription(AGENT, 1)),
    token(3, rotatedDescription(AGENT, 2)),
    token(4, NOMAD),
    token(5, rotatedDescription(NOMAD, 1)),
    // Not generations of a rotated token: a longer description, an operator's own, a future generation.
    token(6, `${AGENT} spare`),
    token(7, "Agent token of prod2-server-10 (prod2)"),
    token(8, rotatedDescription(AGENT, 3)),
    token(9, `${AGENT} (rotation 01)`),
  ];
  const current = [token(3, "").AccessorID, token(5, "").AccessorID];

  it("deletes every generation below the current one, and nothing else", () => {
    const result = retire(federation, current);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([1, 2, 4].map((id) => token(id, "").AccessorID));
    expect(result.stderr).toContain(`deleted "${rotatedDescription(AGENT, 1)}"`);
    expect(result.stderr).toContain("3 older token generation(s) deleted");
    // The management token travels in a header file, never in arguments.
    expect(result.calls.some((call) => call.includes("management") && !call.includes("@"))).toBe(false);
    expect(result.stagingRemoved).toBe(true);
  });

  it("never deletes a current token, whatever its description says", () => {
    const result = retire([token(1, AGENT), token(2, rotatedDescription(AGENT, 1))], [token(1, "").AccessorID]);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([token(2, "").AccessorID]);
  });

  it("counts a token deleted meanwhile as done (a run that stopped half-way)", () => {
    const result = retire([token(1, AGENT, { vanishes: true }), token(2, NOMAD)], current);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([token(2, "").AccessorID]);
  });

  it("fails when Consul refuses a deletion, saying why", () => {
    const result = retire([token(1, AGENT, { fails: true }), token(2, NOMAD)], current);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Consul refused DELETE /v1/acl/token/");
    expect(result.stderr).toContain("No cluster leader");
    expect(result.stagingRemoved).toBe(true);
  });

  it("finds nothing to do once the older generations are gone", () => {
    const result = retire([token(3, rotatedDescription(AGENT, 2)), token(5, rotatedDescription(NOMAD, 1))], current);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([]);
    expect(result.stderr).toContain("0 older token generation(s) deleted");
  });

  itWithTool("shellcheck", "passes shellcheck", () => {
    expect(shellcheck(SCRIPT)).toEqual([]);
  });
});
