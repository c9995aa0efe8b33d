import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderTokenRoutesMarkdown, tokenRoutes } from "../../domain/tokens";
import { REPO_ROOT } from "../support/fixtures";

describe("token routing", () => {
  it("gives the primary's servers their agent and DNS tokens through the API: they start before those exist", () => {
    expect(tokenRoutes({ kind: "server", datacenterRole: "primary" })).toEqual([
      { token: "initial-management", mechanism: "bootstrap-config", fromStage: "acl" },
      { token: "agent", mechanism: "agent-api", fromStage: "acl" },
      { token: "dns", mechanism: "agent-api", fromStage: "acl" },
      { token: "service-registration", mechanism: "agent-api", fromStage: "acl" },
      { token: "terraform", mechanism: "apply-script", fromStage: "acl" },
      // Made by the ACL stack after the servers: installed by it, as the agent tokens are set by it.
      { token: "snapshot", mechanism: "backup-credential-acl-stack", fromStage: "acl" },
    ]);
  });

  it("bootstraps through the API from Terraform's first own token on: no configuration holds a management token", () => {
    const routes = tokenRoutes({ kind: "server", datacenterRole: "primary" }, "api");
    expect(routes.map((r) => r.token)).not.toContain("initial-management");
    expect(routes.filter((r) => r.token === "terraform")).toEqual([
      { token: "terraform", mechanism: "apply-script", fromStage: "acl" },
    ]);
  });

  it("starts secondary servers with replication, and every gateway with its agent, DNS and Envoy tokens", () => {
    expect(tokenRoutes({ kind: "server", datacenterRole: "secondary" }).map((r) => [r.token, r.mechanism])).toEqual([
      ["agent", "agent-config"],
      ["dns", "agent-config"],
      ["replication", "agent-config"],
      ["service-registration", "agent-config"],
      ["autopilot-health", "apply-script"],
      ["snapshot", "backup-credential"],
    ]);
    for (const datacenterRole of ["primary", "secondary"] as const) {
      expect(tokenRoutes({ kind: "gateway", datacenterRole }).map((r) => [r.token, r.mechanism])).toEqual([
        ["agent", "agent-config"],
        ["dns", "agent-config"],
        ["mesh-gateway", "gateway-environment"],
      ]);
    }
  });

  it("is printed in the README exactly as the code routes it", () => {
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain(renderTokenRoutesMarkdown());
  });
});
