import { exampleStacks } from "./../../support/example";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { escapeTemplateSequences, SshFileDelivery } from "../../../constructs/compute/ssh-file-delivery";
import { testStack } from "../../support/fixtures";
import { resourcesOf } from "../../support/synth";

const example = { stacks: exampleStacks() };

describe("settings delivery", () => {
  it("keeps Terraform from interpolating shell and systemd variables", () => {
    expect(escapeTemplateSequences("a=${1:?x} b=%{if} c=${TfToken[TOKEN.12]}")).toBe(
      "a=$${1:?x} b=%%{if} c=${TfToken[TOKEN.12]}",
    );
  });

  it("uploads shell and systemd variables literally: Terraform interpolates only references", () => {
    const uploads = [...example.stacks.values()].flatMap((json) =>
      Object.values(resourcesOf(json, "terraform_data")).flatMap((resource) =>
        ((resource.provisioner ?? []) as Record<string, { content?: string }>[])
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

  it("delivers everything again to a replaced, rebuilt or resized VM", () => {
    const prod2 = Object.values(resourcesOf(example.stacks.get("prod2") as string, "terraform_data")).filter(
      (resource) => resource.triggers_replace,
    );
    expect(prod2).toHaveLength(5);
    for (const delivery of prod2) {
      const instance = "openstack_compute_instance_v2\\.prod2-(server|gateway)-\\d_vm_instance_\\w+";
      expect((delivery.triggers_replace as { target?: string }).target).toMatch(
        new RegExp(`^\\$\\{${instance}\\.id\\} \\$\\{${instance}\\.image_id\\} \\$\\{${instance}\\.flavor_name\\}$`),
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

describe("provisioners run the way Terraform runs them", () => {
  // Terraform's remote-exec joins an inline list into one script file that the login shell runs (no -e).
  const inlineScripts = [...example.stacks.values()].flatMap((json) =>
    Object.values(resourcesOf(json, "terraform_data")).flatMap((resource) =>
      ((resource.provisioner ?? []) as Record<string, { inline?: string[] }>[])
        .map((p) => p["remote-exec"]?.inline)
        .filter((inline): inline is string[] => inline !== undefined)
        .map((inline) => `${inline.join("\n")}\n`),
    ),
  );

  function runAsTerraform(script: string, shell: "sh" | "bash", failing: string[]) {
    const root = mkdtempSync(join(tmpdir(), "remote-exec-"));
    const bin = join(root, "bin");
    mkdirSync(bin);
    // Stubs for what the provisioners call on the node; a failing one exits 3 as a failed apply script would.
    for (const command of ["sudo", "install"]) {
      const body = failing.includes(command)
        ? "exit 3"
        : command === "install"
          ? 'exec /usr/bin/install "$@"'
          : 'exec "$@"';
      writeFileSync(join(bin, command), `#!/bin/sh\necho "${command} $*" >>"${root}/calls"\n${body}\n`, {
        mode: 0o755,
      });
    }
    const staging = /\/home\/ubuntu\/\.[0-9a-f]{16}/.exec(script)?.[0] as string;
    const local = script.replaceAll("/home/ubuntu/", `${root}/home/ubuntu/`);
    mkdirSync(join(root, "home", "ubuntu"), { recursive: true });
    // What the uploads would have left: the staging folder with an apply script that succeeds.
    mkdirSync(`${root}${staging}`, { recursive: true });
    for (const name of ["node-apply.sh", "set-agent-token.sh", "rotate-gossip-key.sh"]) {
      writeFileSync(`${root}${staging}/${name}`, "exit 0\n");
    }
    writeFileSync(join(root, "script"), local);
    const result = spawnSync(shell, [join(root, "script")], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    return { status: result.status, stagingLeft: existsSync(`${root}${staging}`) };
  }

  it("finds both provisioners of every delivery", () => {
    // 15 nodes' settings, 3 primary servers' agent tokens, the gossip keyring.
    expect(inlineScripts.length).toBe(2 * 19);
  });

  it.each(["sh", "bash"] as const)("fail when the apply script fails, and remove the staging folder (%s)", (shell) => {
    for (const script of inlineScripts.filter((s) => s.includes("sudo "))) {
      expect(runAsTerraform(script, shell, ["sudo"])).toEqual({ status: 3, stagingLeft: false });
      expect(runAsTerraform(script, shell, [])).toEqual({ status: 0, stagingLeft: false });
    }
  });

  it.each(["sh", "bash"] as const)("fail when the staging folder cannot be made (%s)", (shell) => {
    for (const script of inlineScripts.filter((s) => s.includes("install -d"))) {
      expect(runAsTerraform(script, shell, ["install"]).status).toBe(3);
    }
  });
});
