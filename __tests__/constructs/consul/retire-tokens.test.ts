import { readFileSync } from "node:fs";
import { join } from "node:path";
import { retiredGenerations, rotatedAccessorId, rotatedDescription } from "../../../domain/token-rotation";
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
  readonly CreateTime?: string;
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
    open(out, "w").write(json.dumps([{k: v for k, v in t.items() if k in ("AccessorID", "Description", "CreateTime")} for t in tokens if not t.get("vanishes")]))
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
/** Tokens made before the rotation; the current generations below are made later (nanoseconds, as Consul writes). */
const EARLIER = "2026-01-01T00:00:00.5Z";
const LATER = "2026-06-01T00:00:00.123456789Z";
const token = (id: number | string, Description: string, extra: Partial<Token> = {}): Token => ({
  AccessorID: typeof id === "string" ? id : `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
  Description,
  CreateTime: EARLIER,
  ...extra,
});
const uuid = (key: string, generation: number) => rotatedAccessorId("prod1", key, generation) as string;
// The agent token at generation 2, retired below it (the deploy delivered it); Nomad's at 1, its previous kept.
const retired = [
  retiredGenerations("prod1", "prod2-server-1-agent-token", AGENT, 2, 2),
  retiredGenerations("prod1", "token-1", NOMAD, 1, 0),
];

function retire(tokens: readonly Token[], families: readonly object[] = retired) {
  return runNodeScript({
    script: SCRIPT,
    scriptName: "retire-tokens.sh",
    staged: {
      "retire.env": "CONSUL_HTTPS_ADDR=127.0.0.1:8501\nCONSUL_CA_FILE=/etc/consul.d/tls/ca.pem\n",
      "retired.json": JSON.stringify(families),
      "management-token.header": "X-Consul-Token: management\n",
    },
    stubs: {},
    scriptedStubs: { curl: curlStub(tokens) },
  });
}

const deletedIds = (calls: readonly string[]) =>
  calls.filter((call) => call.includes(" -X DELETE ")).map((call) => call.split("/v1/acl/token/")[1]);

describe("retire-tokens.sh", () => {
  const agent = (generation: number) => uuid("prod2-server-1-agent-token", generation);
  const federation = [
    token(1, AGENT),
    token(agent(1), rotatedDescription(AGENT, 1)),
    token(agent(2), rotatedDescription(AGENT, 2), { CreateTime: LATER }),
    token(4, NOMAD),
    token(uuid("token-1", 1), rotatedDescription(NOMAD, 1), { CreateTime: LATER }),
    // Not generations of a rotated token: a longer description, another node's, a malformed number.
    token(6, `${AGENT} spare`),
    token(7, "Agent token of prod2-server-10 (prod2)"),
    token(9, `${AGENT} (rotation 01)`),
  ];

  it("deletes the federation token's generations below the current one, and keeps the operator's previous one", () => {
    const result = retire(federation);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([token(1, "").AccessorID, agent(1)]);
    expect(result.stderr).toContain(`deleted "${rotatedDescription(AGENT, 1)}"`);
    expect(result.stderr).toContain("2 retired token generation(s) deleted");
    // The management token travels in a header file, never in arguments.
    expect(result.calls.some((call) => call.includes("management") && !call.includes("@"))).toBe(false);
    expect(result.stagingRemoved).toBe(true);
  });

  it("deletes the operator's previous generation once retireBelow reaches the current one", () => {
    const result = retire(federation, [retiredGenerations("prod1", "token-1", NOMAD, 1, 1)]);
    expect(deletedIds(result.calls)).toEqual([token(4, "").AccessorID]);
  });

  it("deletes a generation above the current one (a counter set back), by description or by accessor ID", () => {
    const result = retire(
      [token(agent(2), rotatedDescription(AGENT, 2)), token(agent(3), "renamed meanwhile")],
      [retiredGenerations("prod1", "prod2-server-1-agent-token", AGENT, 1, 1)],
    );
    expect(deletedIds(result.calls)).toEqual([agent(2), agent(3)]);
  });

  it("finds a retired generation by its accessor ID when its description changed meanwhile", () => {
    const result = retire([token(agent(1), "Agent token of a renamed node"), token(agent(2), "renamed")]);
    expect(deletedIds(result.calls)).toEqual([agent(1)]);
  });

  it("never deletes a current token, whatever its description says", () => {
    const result = retire([token(agent(2), AGENT), token(uuid("token-1", 1), NOMAD)]);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([]);
  });

  it("counts a token deleted meanwhile as done (a run that stopped half-way)", () => {
    const result = retire([token(1, AGENT, { vanishes: true }), token(agent(1), rotatedDescription(AGENT, 1))]);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([agent(1)]);
  });

  it("leaves a token of the same words that someone made after the current generation", () => {
    const result = retire([
      token(agent(2), rotatedDescription(AGENT, 2), { CreateTime: LATER }),
      token(1, AGENT, { CreateTime: "2026-07-01T00:00:00+02:00" }),
    ]);
    expect(deletedIds(result.calls)).toEqual([]);
  });

  it("fails when Consul refuses a deletion, saying why", () => {
    const result = retire([token(1, AGENT, { fails: true }), token(agent(2), AGENT, { CreateTime: LATER })]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Consul refused DELETE /v1/acl/token/");
    expect(result.stderr).toContain("No cluster leader");
    expect(result.stagingRemoved).toBe(true);
  });

  it("finds nothing to do once the retired generations are gone", () => {
    const result = retire([token(agent(2), rotatedDescription(AGENT, 2)), token(4, NOMAD)]);
    expect(result.status).toBe(0);
    expect(deletedIds(result.calls)).toEqual([]);
    expect(result.stderr).toContain("0 retired token generation(s) deleted");
  });

  itWithTool("shellcheck", "passes shellcheck", () => {
    expect(shellcheck(SCRIPT)).toEqual([]);
  });
});
