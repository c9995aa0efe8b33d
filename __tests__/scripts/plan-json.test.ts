import {
  JsonChange,
  JsonPlan,
  maskSensitive,
  parsePlanJson,
  planDifferences,
  reviewedChanges,
  SENSITIVE,
} from "../../scripts/plan-json";

const SECRET = { old: "e1d2c3b4-a5f6-4e7d-8c9b-0a1b2c3d4e5f", new: "0f1e2d3c-4b5a-4968-8776-655443322110" };

function settingsPlan(change: Partial<JsonChange>): JsonPlan {
  return {
    format_version: "1.2",
    resource_changes: [
      {
        address: "terraform_data.settings",
        mode: "managed",
        type: "terraform_data",
        change: {
          actions: ["delete", "create"],
          before: { triggers_replace: { token: SECRET.old, label: "a" } },
          after: { triggers_replace: { token: SECRET.old, label: "b" } },
          after_unknown: { id: true },
          before_sensitive: { triggers_replace: { token: true } },
          after_sensitive: { triggers_replace: { token: true } },
          ...change,
        },
      },
      {
        address: "terraform_data.untouched",
        mode: "managed",
        type: "terraform_data",
        change: { actions: ["no-op"], before: { input: "x" }, after: { input: "x" } },
      },
    ],
  };
}

const reviewed = reviewedChanges(settingsPlan({}));

describe("maskSensitive", () => {
  it("hides exactly the leaves and subtrees marked true", () => {
    expect(maskSensitive({ a: "1", b: { c: "2", d: ["3", "4"] } }, { b: { c: true, d: [false, true] } })).toEqual({
      a: "1",
      b: { c: SENSITIVE, d: ["3", SENSITIVE] },
    });
    expect(maskSensitive({ a: { b: "1" } }, { a: true })).toEqual({ a: SENSITIVE });
  });
});

describe("reviewedChanges", () => {
  it("lists changes by address and actions, leaves no-ops out, and holds no value", () => {
    expect(reviewed.map(({ address, actions }) => ({ address, actions }))).toEqual([
      { address: "terraform_data.settings", actions: "delete,create" },
    ]);
    expect(reviewed[0].digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(reviewed)).not.toContain(SECRET.old);
  });
});

describe("planDifferences", () => {
  it("finds none between a plan and itself", () => {
    expect(planDifferences(reviewed, reviewedChanges(settingsPlan({})))).toEqual([]);
  });

  it("finds a non-sensitive value that changed", () => {
    const changed = settingsPlan({ after: { triggers_replace: { token: SECRET.old, label: "c" } } });
    expect(planDifferences(reviewed, reviewedChanges(changed))).toEqual([
      "terraform_data.settings: delete,create with other values than reviewed",
    ]);
  });

  it("finds a sensitive value that now changes where the reviewed plan kept it, without naming it", () => {
    const rotated = settingsPlan({ after: { triggers_replace: { token: SECRET.new, label: "b" } } });
    const differences = planDifferences(reviewed, reviewedChanges(rotated));
    expect(differences).toEqual(["terraform_data.settings: delete,create with other values than reviewed"]);
    expect(differences.join("\n")).not.toMatch(new RegExp(`${SECRET.old}|${SECRET.new}`));
  });

  // The limit of a comparison that never sees secrets: another new value for a secret that was already changing.
  it("cannot tell one new sensitive value from another", () => {
    const rotated = (value: string) => settingsPlan({ after: { triggers_replace: { token: value, label: "b" } } });
    expect(planDifferences(reviewedChanges(rotated(SECRET.new)), reviewedChanges(rotated("another")))).toEqual([]);
  });

  it("finds other actions, and changes that were not reviewed or are no longer planned", () => {
    const updated = reviewedChanges(settingsPlan({ actions: ["update"] }));
    expect(planDifferences(reviewed, updated)).toEqual(["terraform_data.settings: reviewed delete,create, now update"]);
    expect(planDifferences([], reviewed)).toEqual(["terraform_data.settings: delete,create, which was not reviewed"]);
    expect(planDifferences(reviewed, [])).toEqual([
      "terraform_data.settings: reviewed delete,create, no longer planned",
    ]);
  });

  it("compares output changes too", () => {
    const outputs = (after: string): JsonPlan => ({
      format_version: "1.2",
      output_changes: { name: { actions: ["update"], before: "one", after } },
    });
    expect(planDifferences(reviewedChanges(outputs("two")), reviewedChanges(outputs("three")))).toEqual([
      "output.name: update with other values than reviewed",
    ]);
  });
});

describe("parsePlanJson", () => {
  it("reads format 1.x and refuses anything else", () => {
    expect(parsePlanJson('{"format_version":"1.2"}').format_version).toBe("1.2");
    expect(() => parsePlanJson('{"format_version":"2.0"}')).toThrow(/format 1\.x/);
    expect(() => parsePlanJson('{"version":4}')).toThrow(/missing/);
  });
});
