import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lowerTerraformTokenProblems, protectLocalState, STATE_FILE_MODE } from "../../stacks/local-state";
import { localStatePath } from "../../stacks/stack-setup";
import { synthesizeFederation } from "../../stacks/synthesize";
import { ConfigFieldError } from "../../domain/errors";
import { exampleConfig } from "../support/fixtures";

const haveTerraform = spawnSync("terraform", ["version"]).status === 0;
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A project folder with its synth output at <project>/out and one stack's working directory. */
function project(stack: string): { root: string; outdir: string; workdir: string } {
  const root = mkdtempSync(join(tmpdir(), "local-state-"));
  const outdir = join(root, "out");
  const workdir = join(outdir, "stacks", stack);
  mkdirSync(workdir, { recursive: true });
  return { root, outdir, workdir };
}

describe("local state files", () => {
  const local = exampleConfig((c) => (c.state = { backend: "local" }));

  it("exist before Terraform writes them, readable by the owner only, with what they held kept", () => {
    const { root, outdir } = project("prod1");
    writeFileSync(join(root, "terraform.prod1.tfstate"), '{"version":4}', { mode: 0o644 });
    protectLocalState(local, outdir, ["prod1"]);
    for (const file of ["terraform.prod1.tfstate", "terraform.prod1.tfstate.backup"]) {
      expect({ file, mode: modeOf(join(root, file)).toString(8) }).toEqual({ file, mode: STATE_FILE_MODE.toString(8) });
    }
    expect(readFileSync(join(root, "terraform.prod1.tfstate"), "utf8")).toBe('{"version":4}');
    expect(readFileSync(join(root, "terraform.prod1.tfstate.backup"), "utf8")).toBe("");
  });

  it("refuse a rotation.terraformToken below a generation whose secret the primary's state holds", () => {
    const { root, outdir } = project("prod1");
    const uuid = (name: string, instances = 1) => ({
      mode: "managed",
      type: "random_uuid",
      name,
      instances: Array.from({ length: instances }, () => ({ attributes: { result: "x" } })),
    });
    writeFileSync(
      join(root, "terraform.prod1.tfstate"),
      JSON.stringify({
        version: 4,
        resources: [
          uuid("federation-secrets_initial-management-token_5148555F"),
          uuid("federation-secrets_terraform-token-1_0A1B2C3D"),
          uuid("federation-secrets_terraform-token-2_4E5F6071"),
          // Declared but never made (a plan that failed): holds nothing.
          uuid("federation-secrets_terraform-token-3_8293A4B5", 0),
        ],
      }),
    );
    const at = (generation: number, backend: "local" | "s3" = "local") =>
      lowerTerraformTokenProblems(
        exampleConfig((c) => {
          c.state = backend === "local" ? { backend } : { backend, s3: { bucket: "consul-federation-state" } };
          c.rotation = { ...c.rotation, terraformToken: generation };
        }),
        outdir,
        "prod1",
      );
    expect(at(1)).toEqual([
      'rotation.terraformToken: 1 is below generation 2, whose secret terraform.prod1.tfstate holds and Consul uses (set it to 2 or above: a generation once made is never given back; README "Rotating Terraform\'s token")',
    ]);
    expect(at(0)).toHaveLength(1);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual([]);
    // State in a bucket cannot be read at synthesis.
    expect(at(1, "s3")).toEqual([]);
  });

  it("refuse it before anything is written", () => {
    const { root, outdir } = project("prod1");
    rmSync(outdir, { recursive: true });
    writeFileSync(
      join(root, "terraform.prod1.tfstate"),
      JSON.stringify({
        version: 4,
        resources: [
          {
            mode: "managed",
            type: "random_uuid",
            name: "federation-secrets_terraform-token-1_0A1B2C3D",
            instances: [{}],
          },
        ],
      }),
    );
    expect(() => synthesizeFederation(exampleConfig(), outdir)).toThrow(ConfigFieldError);
    expect(existsSync(outdir)).toBe(false);
  });

  it("are left alone with remote state", () => {
    const { root, outdir } = project("prod1");
    const s3 = exampleConfig((c) => (c.state = { backend: "s3", s3: { bucket: "consul-federation-state" } }));
    protectLocalState(s3, outdir, ["prod1"]);
    expect(() => statSync(join(root, "terraform.prod1.tfstate"))).toThrow(/ENOENT/);
  });

  // Terraform itself, with a resource that needs no provider: the modes hold through a first apply (which
  // writes the state) and a second (which writes the backup), even under a permissive umask.
  (haveTerraform ? it : it.skip)("stay owner-only through Terraform's applies", () => {
    const { root, outdir, workdir } = project("probe");
    const write = (input: string) =>
      writeFileSync(
        join(workdir, "main.tf.json"),
        JSON.stringify({
          terraform: { backend: { local: { path: localStatePath("probe") } } },
          resource: { terraform_data: { probe: { input } } },
        }),
      );
    protectLocalState(local, outdir, ["probe"]);
    const terraform = (...args: string[]) => {
      const result = spawnSync("sh", ["-c", 'umask 022 && exec terraform "$@"', "terraform", ...args], {
        cwd: workdir,
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
      });
      expect({ args, failure: result.status === 0 ? undefined : result.stdout + result.stderr }).toEqual({ args });
    };
    write("one");
    terraform("init", "-input=false", "-no-color");
    terraform("apply", "-auto-approve", "-input=false", "-no-color");
    write("two");
    terraform("apply", "-auto-approve", "-input=false", "-no-color");
    const state = join(root, "terraform.probe.tfstate");
    expect(readFileSync(`${state}.backup`, "utf8")).toContain('"one"');
    expect(readFileSync(state, "utf8")).toContain('"two"');
    expect([modeOf(state), modeOf(`${state}.backup`)].map((mode) => mode.toString(8))).toEqual(["600", "600"]);
  });
});
