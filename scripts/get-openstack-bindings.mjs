#!/usr/bin/env node
// Regenerates .gen/ (the OpenStack provider bindings) offline with `cdktf get`, reading the provider
// schema from ../shared/schemas instead of downloading the provider. On a machine that reaches the
// Terraform registry, a plain `npx cdktf get` produces the same layout.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const schemaPath = resolve(
  process.env.OPENSTACK_PROVIDER_SCHEMA ?? join(root, "..", "shared", "schemas", "openstack-3.4.0.schema.json"),
);
const providerAddress = "registry.terraform.io/terraform-provider-openstack/openstack";
const providerVersion = "3.4.0";

const cdktfJson = JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8"));
const constraint = cdktfJson.terraformProviders
  .find((p) => p.startsWith("terraform-provider-openstack/openstack@"))
  ?.split("@")[1];
if (!constraint) throw new Error("cdktf.json declares no terraform-provider-openstack/openstack provider");

let schema;
try {
  schema = JSON.parse(readFileSync(schemaPath, "utf8"));
} catch (error) {
  console.error(`cannot read the provider schema ${schemaPath}: ${error.message}`);
  console.error("(set OPENSTACK_PROVIDER_SCHEMA to the output of `terraform providers schema -json`)");
  process.exit(1);
}
// The generator pins required_providers to the version recorded here, as a download would have.
schema.provider_versions = { [providerAddress]: providerVersion };

const cache = mkdtempSync(join(tmpdir(), "openstack-schema-"));
try {
  writeFileSync(join(cache, `openstack@${encodeURIComponent(constraint)}.json`), JSON.stringify(schema));
  execFileSync("npx", ["cdktf", "get", "--force"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_EXPERIMENTAL_PROVIDER_SCHEMA_CACHE_PATH: cache },
  });
} finally {
  rmSync(cache, { recursive: true, force: true });
}
