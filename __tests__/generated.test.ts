import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderFederationJsonSchema } from "../config/json-schema";
import { REPO_ROOT } from "./support/fixtures";

const SHARED_SCHEMA = join(REPO_ROOT, "..", "shared", "schemas", "openstack-3.4.0.schema.json");

describe("generated files are current", () => {
  it("federation.schema.json matches the configuration model (npm run schema)", () => {
    expect(readFileSync(join(REPO_ROOT, "federation.schema.json"), "utf8")).toBe(renderFederationJsonSchema());
  });

  // Regenerating takes a few seconds; it needs the provider schema beside the repository, as CI has it.
  const schemaPresent = existsSync(SHARED_SCHEMA);
  (schemaPresent || process.env.CI ? it : it.skip)(
    ".gen/ is exactly what `npm run get` generates from the provider schema",
    () => {
      const work = mkdtempSync(join(tmpdir(), "gen-check-"));
      for (const entry of ["cdktf.json", "scripts", "package.json"])
        cpSync(join(REPO_ROOT, entry), join(work, entry), { recursive: true });
      symlinkSync(join(REPO_ROOT, "node_modules"), join(work, "node_modules"));
      execFileSync("node", [join(work, "scripts", "get-openstack-bindings.mjs")], {
        cwd: work,
        env: { ...process.env, OPENSTACK_PROVIDER_SCHEMA: SHARED_SCHEMA },
        stdio: "pipe",
      });
      const diff = execFileSync("git", ["diff", "--no-index", "--stat", join(REPO_ROOT, ".gen"), join(work, ".gen")], {
        encoding: "utf8",
      }).trim();
      expect(diff).toBe("");
    },
    60_000,
  );
});
