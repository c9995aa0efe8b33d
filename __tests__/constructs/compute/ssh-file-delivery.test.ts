import { escapeTemplateSequences, SshFileDelivery } from "../../../constructs/compute/ssh-file-delivery";
import { loadFederationConfig } from "../../../config/load";
import { EXAMPLE_CONFIG_PATH, testStack } from "../../support/fixtures";
import { resourcesOf, synthesize } from "../../support/synth";

const example = synthesize(loadFederationConfig(EXAMPLE_CONFIG_PATH));

describe("settings delivery", () => {
  it("keeps Terraform from interpolating shell and systemd variables", () => {
    expect(escapeTemplateSequences("a=${1:?x} b=%{if} c=${TfToken[TOKEN.12]}")).toBe(
      "a=$${1:?x} b=%%{if} c=${TfToken[TOKEN.12]}",
    );
  });

  it("uploads shell and systemd variables literally: Terraform interpolates only references", () => {
    const uploads = [...example.stacks.values()].flatMap((json) =>
      Object.values(resourcesOf(json, "terraform_data")).flatMap((resource) =>
        (resource.provisioner as Record<string, { content?: string }>[])
          .map((p) => p.file?.content)
          .filter((content): content is string => content !== undefined),
      ),
    );
    expect(uploads.length).toBeGreaterThan(100);
    const reference = /^(openstack_|tls_|random_|consul_|data\.|sensitive\(|substr\()/;
    const interpolations = uploads.flatMap((content) =>
      [...content.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1]),
    );
    expect(interpolations.length).toBeGreaterThan(0);
    expect(interpolations.filter((inside) => !reference.test(inside))).toEqual([]);
    expect(uploads.some((content) => content.includes("$${1:?usage"))).toBe(true);
    expect(uploads.some((content) => content.includes("-service $${GATEWAY_SERVICE}"))).toBe(true);
  });

  it("delivers everything again to a replaced VM", () => {
    const prod2 = Object.values(resourcesOf(example.stacks.get("prod2") as string, "terraform_data"));
    for (const delivery of prod2) {
      expect((delivery.triggers_replace as { target?: string }).target).toMatch(
        /^\$\{openstack_compute_instance_v2\.prod2-(server|gateway)-\d_vm_instance_\w+\.id\}$/,
      );
    }
  });

  it("rolls servers one at a time and starts gateways after the servers", () => {
    const prod2 = JSON.parse(example.stacks.get("prod2") as string).resource.terraform_data as Record<
      string,
      { depends_on?: string[] }
    >;
    const dependencies = (node: string) =>
      (Object.entries(prod2).find(([id]) => id.startsWith(`${node}_settings_apply`))?.[1].depends_on ?? []).filter(
        (d) => d.startsWith("terraform_data."),
      );
    expect(dependencies("prod2-server-1")).toEqual([]);
    expect(dependencies("prod2-server-2")).toEqual([
      expect.stringMatching(/^terraform_data\.prod2-server-1_settings_apply/),
    ]);
    expect(dependencies("prod2-gateway-1")).toHaveLength(3);
    expect(dependencies("prod2-gateway-2")).toEqual([
      expect.stringMatching(/^terraform_data\.prod2-gateway-1_settings_apply/),
    ]);
  });

  it("rejects a file delivered twice", () => {
    const scope = testStack();
    const file = { name: "a.sh", destination: "-", owner: "root", group: "root", mode: "0700", content: "" };
    expect(
      () =>
        new SshFileDelivery(scope, "d", {
          host: "h",
          user: "u",
          files: [file, file],
          applyScript: "a.sh",
          target: "i",
        }),
    ).toThrow(/^test\/d: files: "a\.sh" is delivered twice/);
  });
});
