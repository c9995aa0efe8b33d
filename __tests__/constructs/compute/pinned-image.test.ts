import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { PinnedImage } from "../../../constructs/compute/pinned-image";
import { testStack } from "../../support/fixtures";
import { resourcesOf } from "../../support/synth";

/**
 * The pin as Terraform runs it: the Glance lookup is replaced by a variable (the OpenStack provider cannot
 * be installed here), everything else is the synthesized terraform_data pair.
 */
function pinnedConfig(): Record<string, unknown> {
  const stack = testStack("s");
  new PinnedImage(stack, "os-image", { imageName: "ubuntu-24.04" });
  const json = Testing.synth(stack);
  const data = resourcesOf(json, "terraform_data");
  const [requestId, request] = Object.entries(data).find(([id]) => id.includes("request")) as [string, object];
  const [pinnedId, pinned] = Object.entries(data).find(([id]) => id.includes("pinned")) as [
    string,
    Record<string, unknown>,
  ];
  const lookup = /data\.openstack_images_image_ids_v2\.[\w-]+\.ids/;
  return {
    variable: { glance_ids: { type: "list(string)" }, image_name: { type: "string" } },
    resource: {
      terraform_data: {
        [requestId]: { ...request, input: { name: "${var.image_name}" } },
        [pinnedId]: JSON.parse(JSON.stringify(pinned).replace(lookup, "var.glance_ids")),
      },
    },
    output: { image_id: { value: `\${terraform_data.${pinnedId}.output.id}` } },
  };
}

function terraform(dir: string, args: string[]): { status: number | null; stdout: string; output: string } {
  const result = spawnSync("terraform", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
  });
  return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

const haveTerraform = spawnSync("terraform", ["version"]).status === 0;

describe("PinnedImage", () => {
  (haveTerraform ? it : it.skip)(
    "keeps the image an instance uses until the configured name changes, whatever Glance says meanwhile",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "pinned-image-"));
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify(pinnedConfig()));
      const vars = (name: string, ids: string[]) => [
        "-var",
        `image_name=${name}`,
        "-var",
        `glance_ids=${JSON.stringify(ids)}`,
      ];
      const init = terraform(dir, ["init", "-input=false", "-no-color"]);
      expect({ status: init.status, output: init.output }).toEqual({ status: 0, output: expect.any(String) });
      expect(
        terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color", ...vars("ubuntu-24.04", ["id-1"])])
          .status,
      ).toBe(0);
      expect(terraform(dir, ["output", "-raw", "image_id"]).stdout).toBe("id-1");

      // Glance rotated the image (a newer one of the same name): nothing to do.
      const rotated = terraform(dir, [
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        ...vars("ubuntu-24.04", ["id-2", "id-1"]),
      ]);
      expect(rotated.status).toBe(0);
      // Renamed away upstream (the name finds nothing): nothing to do either.
      expect(
        terraform(dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color", ...vars("ubuntu-24.04", [])]).status,
      ).toBe(0);

      // The operator names another image: the pin is replaced by the newest image of that name.
      const changed = ["-auto-approve", "-input=false", "-no-color", ...vars("ubuntu-26.04", ["id-9", "id-8"])];
      const applied = terraform(dir, ["apply", ...changed]);
      expect(applied.output).toMatch(/will be replaced due to changes in replace_triggered_by/);
      expect(terraform(dir, ["output", "-raw", "image_id"]).stdout).toBe("id-9");
    },
    60_000,
  );
});
