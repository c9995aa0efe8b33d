import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderTokenRoutesMarkdown, tokenRoutes } from "../../domain/tokens";
import { REPO_ROOT } from "../support/fixtures";

describe("token routing", () => {
  it("gives the primary's servers their agent token through the API: they start before it exists", () => {
    expect(tokenRoutes({ kind: "server", datacenterRole: "primary" })).toEqual([
      { token: "initial-management", mechanism: "agent-config", fromStage: "acl" },
      { token: "agent", mechanism: "agent-api", fromStage: "acl" },
    ]);
  });

  it("starts secondary servers with replication, and every gateway with its agent and Envoy tokens", () => {
    expect(tokenRoutes({ kind: "server", datacenterRole: "secondary" }).map((r) => r.token)).toEqual([
      "agent",
      "replication",
    ]);
    for (const datacenterRole of ["primary", "secondary"] as const) {
      expect(tokenRoutes({ kind: "gateway", datacenterRole }).map((r) => [r.token, r.mechanism])).toEqual([
        ["agent", "agent-config"],
        ["mesh-gateway", "gateway-environment"],
      ]);
    }
  });

  it("is printed in the README exactly as the code routes it", () => {
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain(renderTokenRoutesMarkdown());
  });
});
