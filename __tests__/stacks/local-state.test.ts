import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { protectLocalState, STATE_FILE_MODE } from "../../stacks/local-state";
import { localStatePath } from "../../stacks/stack-setup";
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
