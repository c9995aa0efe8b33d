import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import fc from "fast-check";
import { parseAclRules } from "../../config/acl-rules-parser";
import {
  AclRules,
  POLICY_VALUES,
  renderAclRules,
  RESOURCE_RULE_KINDS,
  SCALAR_RULE_KINDS,
  UNSAFE_RULE_NAME,
} from "../../domain/acl-rules";
import { REPO_ROOT } from "../support/fixtures";

describe("ACL rules reader", () => {
  it("reads the example's rules file as HashiCorp's parser does", async () => {
    const text = readFileSync(join(REPO_ROOT, "policies", "nomad-server.hcl"), "utf8");
    const parsed = parseAclRules(text);
    expect(parsed).toEqual({
      ok: true,
      rules: {
        acl: "write",
        agent_prefix: { "": { policy: "read" } },
        node_prefix: { "": { policy: "read" } },
        service_prefix: { "": { policy: "write" } },
      },
    });
    expect(await parseHcl("nomad.hcl", text)).toEqual({
      acl: "write",
      agent_prefix: { "": [{ policy: "read" }] },
      node_prefix: { "": [{ policy: "read" }] },
      service_prefix: { "": [{ policy: "write" }] },
    });
  });

  it.each([
    ['servce "web" {\n  policy = "read"\n}\n', 1, 1, /unknown rule kind "servce" \(did you mean "service"\?\)/],
    ['service "web" {\n  policy = "reed"\n}\n', 2, 12, /policy value "reed" is not one of read, write, deny, list/],
    ['node "n1" {\n  policy = "read"\n  intentions = "read"\n}\n', 3, 3, /node "n1": unknown field "intentions"/],
    ['key_prefix "" {\n  policy = "read"\n', 1, 15, /block of key_prefix "" is not closed/],
    ['operator = "write"\noperator = "read"\n', 2, 1, /"operator" is defined twice/],
    ['service "web" {\n}\n', 1, 1, /has no policy/],
    ["# nothing\n", 1, 1, /no rules/],
  ])("rejects %j at line %i, column %i", (text, line, column, message) => {
    const result = parseAclRules(text);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual(
        expect.arrayContaining([{ line, column, message: expect.stringMatching(message) }]),
      );
  });

  it("accepts comments of every HCL style", () => {
    expect(parseAclRules('# a\n// b\n/* c\n d */ mesh = "write" # e\n').ok).toBe(true);
  });

  const rulesArbitrary: fc.Arbitrary<AclRules> = fc
    .record({
      scalars: fc.dictionary(fc.constantFrom(...SCALAR_RULE_KINDS), fc.constantFrom(...POLICY_VALUES)),
      resources: fc.dictionary(
        fc.constantFrom(...RESOURCE_RULE_KINDS),
        fc.dictionary(
          fc.string({ maxLength: 12 }).filter((s) => !UNSAFE_RULE_NAME.test(s)),
          fc.constantFrom(...POLICY_VALUES),
          {
            minKeys: 1,
            maxKeys: 3,
          },
        ),
      ),
    })
    .filter(({ scalars, resources }) => Object.keys(scalars).length + Object.keys(resources).length > 0)
    .map(({ scalars, resources }) => ({
      ...scalars,
      ...Object.fromEntries(
        Object.entries(resources).map(([kind, byName]) => [
          kind,
          Object.fromEntries(Object.entries(byName).map(([name, policy]) => [name, { policy }])),
        ]),
      ),
    }));

  it("reads back exactly what the renderer writes, for any rules", () => {
    fc.assert(
      fc.property(rulesArbitrary, (rules) => {
        expect(parseAclRules(renderAclRules(rules))).toEqual({ ok: true, rules: expect.objectContaining(rules) });
      }),
      { numRuns: 200 },
    );
  });

  it("renders rules that HashiCorp's HCL parser accepts, for any rules", async () => {
    await fc.assert(
      fc.asyncProperty(rulesArbitrary, async (rules) => {
        await expect(parseHcl("rules.hcl", renderAclRules(rules))).resolves.toBeDefined();
      }),
      { numRuns: 50 },
    );
  });
});
