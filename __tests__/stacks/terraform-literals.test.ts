import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { validateFederationConfig } from "../../config/load";
import { ConfigError } from "../../domain/errors";
import { exampleInput, REPO_ROOT } from "../support/fixtures";
import { synthFederation } from "../support/synth";

/**
 * Nothing from the configuration is evaluated by Terraform: every free-text field that reaches the
 * synthesized Terraform comes out of Terraform's template evaluation exactly as written, or is refused at load.
 */

/**
 * What Terraform makes of a template string without references, by the template grammar
 * (developer.hashicorp.com/terraform/language/expressions/strings): `$${` and `%%{` are the literal `${` and
 * `%{`, while an unescaped `${` or `%{` starts an interpolation or directive (undefined: evaluated).
 */
function evaluateLiteral(template: string): string | undefined {
  let out = "";
  // startsWith at an index, not a slice per character: the node files' templates run to kilobytes.
  for (let i = 0; i < template.length; i++) {
    if (template.startsWith("$${", i) || template.startsWith("%%{", i)) {
      out += `${template[i]}{`;
      i += 2;
    } else if (template.startsWith("${", i) || template.startsWith("%{", i)) {
      return undefined;
    } else {
      out += template[i];
    }
  }
  return out;
}

const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "${",
        "%{",
        "$${",
        "%%{",
        '${file("/etc/passwd")}',
        "$",
        "%",
        "{",
        "}",
        '"',
        "\\",
        "\n",
        "é",
        "字",
        " ",
      ),
      fc.string({ maxLength: 3 }),
    ),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(""))
  .filter((text) => text.length > 0);

const FIELDS = [
  "region",
  "cloud",
  "image",
  "serverFlavor",
  "gatewayFlavor",
  "floatingIpPool",
  "availabilityZone",
  "volumeType",
  "externalNetwork",
  "existingNetwork",
  "existingSubnet",
  "policyDescription",
  "tokenDescription",
  "sshComment",
] as const;
type Field = (typeof FIELDS)[number];

function configWith(values: Record<Field, string>, existing: boolean) {
  const input = exampleInput();
  const dc = { ...input.datacenters[0], servers: { count: 1 }, gateways: { count: 1 } };
  dc.openstack = {
    ...dc.openstack,
    region: values.region,
    cloud: values.cloud,
    image: values.image,
    flavors: { server: values.serverFlavor, gateway: values.gatewayFlavor },
    availabilityZone: values.availabilityZone,
    volumeType: values.volumeType,
    externalNetwork: values.externalNetwork,
    ...(existing
      ? {
          network: {
            cidr: "10.10.0.0/24",
            existing: { network: values.existingNetwork, subnet: values.existingSubnet },
          },
        }
      : { floatingIpPool: values.floatingIpPool }),
  };
  input.datacenters = [dc];
  const acl = input.acl as {
    policies: { description?: string; rulesFile?: string; rules?: unknown; datacenters?: string[] }[];
    tokens: { description: string }[];
  };
  acl.policies[0].description = values.policyDescription;
  acl.tokens[0].description = values.tokenDescription;
  input.ssh.publicKey = `${input.ssh.publicKey.split(" ").slice(0, 2).join(" ")} ${values.sshComment}`;
  return input;
}

/** Every string value in the synthesized stacks. */
function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(stringsOf);
  return [];
}

const haveTerraform = spawnSync("terraform", ["version"]).status === 0;

describe("configuration text in the synthesized Terraform", () => {
  it("is refused at load with its field, or evaluates to exactly what was written", () => {
    const evaluated: [string, string][] = [];
    fc.assert(
      fc.property(
        fc.record(Object.fromEntries(FIELDS.map((f) => [f, tricky])) as Record<Field, fc.Arbitrary<string>>),
        fc.boolean(),
        (values, existing) => {
          let config;
          try {
            config = validateFederationConfig(configWith(values, existing), "federation.yaml", REPO_ROOT);
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            // Refused: each problem names a field (the SSH key's comment cannot hold a line break, for one).
            for (const problem of error.problems) expect(problem).toMatch(/^[\w.[\]"]+: /);
            return;
          }
          const synthesized = [...synthFederation(config).values()].flatMap((json) => stringsOf(JSON.parse(json)));
          // Each template evaluated once, then searched for every field.
          const literals = synthesized.map((template) => [template, evaluateLiteral(template)] as const);
          const expected: [Field, string][] = FIELDS.filter(
            (field) => !(existing ? ["floatingIpPool"] : ["existingNetwork", "existingSubnet"]).includes(field),
          ).map((field) => [field, values[field]]);
          for (const [field, written] of expected) {
            const wanted = field === "sshComment" ? config.ssh.publicKey : written;
            const found = literals.filter(([, literal]) => literal?.includes(wanted));
            expect({ field, found: found.length > 0 }).toEqual({ field, found: true });
            for (const [template, literal] of found.filter(([t]) => t.length < 300))
              evaluated.push([template, literal as string]);
          }
          // No template anywhere evaluates a function call the configuration brought in.
          for (const template of synthesized) expect(template).not.toMatch(/(?<![$%])[$%]\{file\(/);
        },
      ),
      { numRuns: 20 },
    );
    // Terraform itself agrees with the grammar on what it evaluated (its console, given all at once: piped,
    // it answers only the last expression it reads).
    if (haveTerraform) {
      const sample = evaluated.slice(0, 80);
      const result = spawnSync("terraform", ["console"], {
        input: `jsonencode([${sample.map(([template]) => JSON.stringify(template)).join(", ")}])\n`,
        encoding: "utf8",
        cwd: tmpdir(),
        env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" },
      });
      expect(result.stderr).toBe("");
      expect(JSON.parse(JSON.parse(result.stdout.trim()))).toEqual(sample.map(([, value]) => value));
    }
  }, 60_000);
});
