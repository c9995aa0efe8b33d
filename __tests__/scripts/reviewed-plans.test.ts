import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordReviewedPlans, ReviewedPlans, stacksInOrder } from "../../scripts/reviewed-plans";

/**
 * Two stacks the way cdktf wires them, run by Terraform itself with providers it has built in (offline): `primary`
 * holds a token and a name and passes them on as outputs (the token sensitive); `secondary` reads them through
 * terraform_remote_state, wraps the token in `sensitive()` as the stacks do, and carries both in a settings
 * delivery. The review plans both stacks before anything applies; the deploy then runs scripts/reviewed-plans.ts.
 */
const haveTerraform = spawnSync("terraform", ["version"]).status === 0;
const ROOT = join(__dirname, "..", "..");
const TOKENS = { old: "5b0e3a1c-2d4f-4e6a-8b9c-0d1e2f3a4b5c", new: "c4b3a2f1-0e9d-4c8b-a7f6-e5d4c3b2a1f0" };

interface Federation {
  readonly root: string;
  readonly plans: string;
  readonly stacksFile: string;
  configure(values: { token: string; name: string; label: string }): void;
  terraform(stack: string, ...args: string[]): string;
  review(): ReviewedPlans;
  deploy(reviewed: ReviewedPlans): { status: number | null; output: string };
  state(stack: string): string;
}

function federation(): Federation {
  const root = mkdtempSync(join(tmpdir(), "reviewed-plans-"));
  const plans = join(root, "plans");
  mkdirSync(plans);
  const workdir = (stack: string) => join(root, stack);
  const statePath = (stack: string) => join(root, `${stack}.tfstate`);
  for (const stack of ["primary", "secondary"]) mkdirSync(workdir(stack));
  const stacksFile = join(root, "stacks.txt");
  writeFileSync(stacksFile, `primary ${workdir("primary")}\nsecondary ${workdir("secondary")}\n`);

  const terraform = (stack: string, ...args: string[]) => {
    const result = spawnSync("terraform", args, {
      cwd: workdir(stack),
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect({ stack, args, failure: result.status === 0 ? undefined : result.stderr }).toEqual({ stack, args });
    return result.stdout;
  };

  return {
    root,
    plans,
    stacksFile,
    configure({ token, name, label }) {
      const backend = (stack: string) => ({ backend: { local: { path: statePath(stack) } } });
      writeFileSync(
        join(workdir("primary"), "main.tf.json"),
        JSON.stringify({
          terraform: backend("primary"),
          resource: { terraform_data: { token: { triggers_replace: { token: `\${sensitive("${token}")}` } } } },
          output: {
            token: { value: `\${sensitive("${token}")}`, sensitive: true },
            name: { value: name },
          },
        }),
      );
      writeFileSync(
        join(workdir("secondary"), "main.tf.json"),
        JSON.stringify({
          terraform: backend("secondary"),
          data: { terraform_remote_state: { primary: { backend: "local", config: { path: statePath("primary") } } } },
          resource: {
            terraform_data: {
              settings: {
                triggers_replace: {
                  token: "${sensitive(data.terraform_remote_state.primary.outputs.token)}",
                  name: "${data.terraform_remote_state.primary.outputs.name}",
                  label,
                },
              },
            },
          },
        }),
      );
    },
    terraform,
    review() {
      for (const stack of ["primary", "secondary"]) {
        terraform(stack, "init", "-input=false", "-no-color");
        terraform(stack, "plan", "-input=false", "-no-color", "-lock=false", "-out=plan");
        writeFileSync(join(plans, `${stack}.plan.json`), terraform(stack, "show", "-json", "plan"));
      }
      return recordReviewedPlans(plans);
    },
    deploy(reviewed) {
      const result = spawnSync(
        process.execPath,
        ["--import", "tsx", join(ROOT, "scripts", "reviewed-plans.ts"), "apply", stacksFile],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, REVIEWED_PLANS: JSON.stringify(reviewed) } },
      );
      return { status: result.status, output: result.stdout + result.stderr };
    },
    state: (stack) => readFileSync(statePath(stack), "utf8"),
  };
}

/** A federation deployed once, with the old token and name `one`. */
function deployedFederation(): Federation {
  const fed = federation();
  fed.configure({ token: TOKENS.old, name: "one", label: "first" });
  for (const stack of ["primary", "secondary"]) {
    fed.terraform(stack, "init", "-input=false", "-no-color");
    fed.terraform(stack, "apply", "-auto-approve", "-input=false", "-no-color");
  }
  return fed;
}

const tf = haveTerraform ? it : it.skip;

describe("scripts/reviewed-plans.ts apply", () => {
  tf(
    "applies the reviewed plans stack by stack when each new plan is the reviewed one",
    () => {
      const fed = deployedFederation();
      fed.configure({ token: TOKENS.old, name: "one", label: "second" });
      const reviewed = fed.review();
      expect(reviewed.primary).toEqual([]);
      expect(reviewed.secondary.map((change) => [change.address, change.actions])).toEqual([
        ["terraform_data.settings", "delete,create"],
      ]);
      const deploy = fed.deploy(reviewed);
      expect({ status: deploy.status, output: deploy.output }).toMatchObject({ status: 0 });
      expect(deploy.output).toContain("secondary: applying the reviewed plan (1 changes)");
      expect(fed.state("secondary")).toContain('"second"');
    },
    60_000,
  );

  // The reason the reviewed plan files themselves are not applied: the secondary's was made with the primary's
  // outputs from before the deploy. The deploy applies the primary, then finds the secondary's plan changed.
  tf(
    "stops at a stack whose new plan differs from the reviewed one, naming no secret",
    () => {
      const fed = deployedFederation();
      fed.configure({ token: TOKENS.new, name: "two", label: "first" });
      const reviewed = fed.review();
      expect(reviewed.secondary).toEqual([]);
      const deploy = fed.deploy(reviewed);
      expect(deploy.status).toBe(1);
      expect(deploy.output).toContain("primary: applying the reviewed plan");
      expect(deploy.output).toContain("secondary: its plan now differs from the reviewed one");
      expect(deploy.output).toContain("terraform_data.settings: delete,create, which was not reviewed");
      expect(fed.state("primary")).toContain(TOKENS.new);
      // The secondary still carries what it had: nothing unreviewed was applied.
      expect(fed.state("secondary")).toContain(TOKENS.old);
      expect(fed.state("secondary")).toContain('"one"');
      expect([TOKENS.old, TOKENS.new].filter((token) => deploy.output.includes(token))).toEqual([]);

      // Reviewing again, now that the primary has applied, shows the change; that review is then applied.
      const again = fed.review();
      expect(again.secondary.map((change) => change.address)).toEqual(["terraform_data.settings"]);
      expect(fed.deploy(again).status).toBe(0);
      expect(fed.state("secondary")).toContain(TOKENS.new);
    },
    90_000,
  );

  tf(
    "stops before a stack that has no reviewed plan, and touches nothing",
    () => {
      const fed = deployedFederation();
      fed.configure({ token: TOKENS.old, name: "one", label: "second" });
      const deploy = fed.deploy({});
      expect(deploy.status).toBe(1);
      expect(deploy.output).toMatch(/^primary: no reviewed plan/m);
      expect(fed.state("secondary")).toContain('"first"');
    },
    60_000,
  );

  // What the script relies on between its plan and its apply: Terraform refuses a saved plan once the state it was
  // made from has changed. This keeps that documented behaviour checked on the Terraform version in use.
  tf(
    "relies on Terraform refusing a saved plan whose state changed since",
    () => {
      const fed = deployedFederation();
      fed.configure({ token: TOKENS.old, name: "one", label: "second" });
      fed.terraform("secondary", "plan", "-input=false", "-no-color", "-out=stale");
      fed.configure({ token: TOKENS.old, name: "one", label: "third" });
      fed.terraform("secondary", "apply", "-auto-approve", "-input=false", "-no-color");
      const result = spawnSync("terraform", ["apply", "-input=false", "-no-color", "stale"], {
        cwd: join(fed.root, "secondary"),
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("Saved plan is stale");
    },
    60_000,
  );
});

describe("scripts/reviewed-plans.ts stacks", () => {
  function outdir(stacks: Record<string, { dependencies: string[]; backend: string }>): string {
    const dir = mkdtempSync(join(tmpdir(), "reviewed-plans-out-"));
    const manifest: Record<string, unknown> = {};
    for (const [name, { dependencies, backend }] of Object.entries(stacks)) {
      mkdirSync(join(dir, "stacks", name), { recursive: true });
      writeFileSync(
        join(dir, "stacks", name, "cdk.tf.json"),
        JSON.stringify({ terraform: { backend: { [backend]: {} } } }),
      );
      manifest[name] = {
        workingDirectory: `stacks/${name}`,
        synthesizedStackPath: `stacks/${name}/cdk.tf.json`,
        dependencies,
      };
    }
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ stacks: manifest }));
    return dir;
  }

  it("lists every stack after the stacks it depends on, whatever the manifest's order", () => {
    const dir = outdir({
      "prod1-keyring": { dependencies: ["prod2", "prod1-acl"], backend: "s3" },
      prod2: { dependencies: ["prod1-acl"], backend: "s3" },
      "prod1-acl": { dependencies: ["prod1"], backend: "s3" },
      prod1: { dependencies: [], backend: "s3" },
    });
    expect(stacksInOrder(dir)).toEqual(
      ["prod1", "prod1-acl", "prod2", "prod1-keyring"].map((stack) => ({
        stack,
        workdir: join(dir, "stacks", stack),
      })),
    );
  });

  it("refuses stacks with local state", () => {
    const dir = outdir({ prod1: { dependencies: [], backend: "local" } });
    expect(() => stacksInOrder(dir)).toThrow(/local file.*prod1/);
  });
});
