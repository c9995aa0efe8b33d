import { exampleStacks } from "./../../support/example";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/fixtures";
import { runNodeScript, StubBehaviour } from "../../support/node-harness";
import { resourcesOf } from "../../support/synth";
import { itWithTool, shellcheck } from "../../support/validators";

/** set-agent-token.sh as the ACL stack runs it on a primary server, with the files the example stages. */
const SCRIPT = readFileSync(join(REPO_ROOT, "constructs", "consul", "files", "set-agent-token.sh"), "utf8");
const acl = exampleStacks().get("prod1-acl") as string;
const delivery = Object.entries(resourcesOf(acl, "terraform_data")).find(([id]) =>
  id.includes("-agent-token_"),
)?.[1] as {
  provisioner: { file?: { destination: string; content: string } }[];
};
const staged = Object.fromEntries(
  delivery.provisioner
    .flatMap((p) => (p.file ? [p.file] : []))
    .map((file) => [file.destination.split("/").pop() as string, file.content.replace(/\$\{[^}]*\}/g, "secret")])
    .filter(([name]) => name !== "set-agent-token.sh"),
);

const run = (curl: StubBehaviour) =>
  runNodeScript({ script: SCRIPT, scriptName: "set-agent-token.sh", staged, stubs: { curl } });

describe("set-agent-token.sh", () => {
  it("sets every staged token through the agent API once a leader exists, and removes the staging folder", () => {
    const result = run({ when: [{ match: "status/leader", stdout: '"10.10.0.10:8300"' }] });
    expect(result.status).toBe(0);
    expect(result.stagingRemoved).toBe(true);
    const puts = result.calls.filter((call) => call.includes("-X PUT"));
    expect(puts.map((call) => call.split(" ").pop())).toEqual([
      "https://127.0.0.1:8501/v1/agent/token/agent",
      "https://127.0.0.1:8501/v1/agent/token/config_file_service_registration",
      "https://127.0.0.1:8501/v1/agent/token/dns",
    ]);
    expect(puts.every((call) => call.includes("--cacert /etc/consul.d/tls/ca.pem"))).toBe(true);
  });

  it("installs the snapshot token root-only after the agent tokens, where the backup unit loads it", () => {
    const result = run({ when: [{ match: "status/leader", stdout: '"10.10.0.10:8300"' }] });
    expect(result.status).toBe(0);
    const installs = result.calls.filter((call) => call.startsWith("install -m"));
    expect(installs).toEqual([
      expect.stringMatching(
        /^install -m 0600 -o root -g root \S+\/snapshot\.token \/etc\/consul-backup\/snapshot\.token$/,
      ),
    ]);
    expect(result.calls.indexOf(installs[0])).toBeGreaterThan(
      result.calls.findIndex((call) => call.includes("agent/token/dns")),
    );
    expect(readFileSync(join(result.root, "etc/consul-backup/snapshot.token"), "utf8")).toBe("secret");
  });

  it("takes the initial management token out of consul.json once it worked, and marks the data volume", () => {
    const config = { acl: { enabled: true, tokens: { initial_management: "secret" } }, server: true };
    const result = runNodeScript({
      script: SCRIPT,
      scriptName: "set-agent-token.sh",
      staged,
      existing: { "/etc/consul.d/consul.json": JSON.stringify(config), "/opt/consul/raft/raft.db": "" },
      stubs: { curl: { when: [{ match: "status/leader", stdout: '"10.10.0.10:8300"' }] } },
    });
    expect(result.status).toBe(0);
    const installed = JSON.parse(readFileSync(join(result.root, "etc/consul.d/consul.json"), "utf8"));
    expect(installed).toEqual({ acl: { enabled: true }, server: true });
    expect(existsSync(join(result.root, "opt/consul/.consul-federation-acl-bootstrapped"))).toBe(true);
    expect(result.stderr).toContain("the initial management token is no longer kept in /etc/consul.d/consul.json");
  });

  it("fails when the agent refuses a token, so the deploy stops", () => {
    const result = run({
      when: [
        { match: "status/leader", stdout: '"10.10.0.10:8300"' },
        { match: "token/dns", exit: 22 },
      ],
    });
    expect(result.status).toBe(22);
    expect(result.stagingRemoved).toBe(true);
  });

  itWithTool("shellcheck", "passes shellcheck", () => {
    expect(shellcheck(SCRIPT)).toEqual([]);
  });
});
