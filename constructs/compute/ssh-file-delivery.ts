import { DataResource, FileProvisioner, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PropsValidator } from "../validation";

export interface DeliveredFile {
  /** Name in the staging folder (and in the manifest): a plain file name. */
  readonly name: string;
  /** Where the node's apply command installs it; `-` for files only the apply command reads. */
  readonly destination: string;
  readonly owner: string;
  readonly group: string;
  /** Octal mode, e.g. 0640. */
  readonly mode: string;
  /** Content; may hold Terraform references, including sensitive ones. */
  readonly content: string;
  /** systemd units to restart when this file changes. @default none */
  readonly restarts?: readonly string[];
  /** systemd units to reload (ExecReload) when this file changes and none restarts them. @default none */
  readonly reloads?: readonly string[];
}

export interface SshFileDeliveryProps {
  /** Address to SSH to (the floating IP). */
  readonly host: string;
  /** Login user with passwordless sudo; the key comes from the operator's ssh-agent. */
  readonly user: string;
  readonly files: readonly DeliveredFile[];
  /** Name of the delivered file that is run with sudo, given the staging folder as its argument. */
  readonly applyScript: string;
  /** What must exist before the node is reachable. */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** The identity of the machine (its instance ID): when it changes, everything is delivered again. */
  readonly target: string;
  /** The host's SSH public key (`ssh-ed25519 AAAA...`): the connection refuses any other host. */
  readonly hostKey?: string;
}

/**
 * Name of the manifest that lists, tab-separated, mode, owner, group, name, destination, the units to restart
 * and the units to reload of every file (`-` for none).
 */
export const MANIFEST_NAME = "manifest.tsv";

const PLAIN = /^[A-Za-z0-9._-]+$/;

/**
 * Escapes Terraform template sequences (`${`, `%{`) in file content so that Terraform delivers them
 * literally (a shell script's `${1:?}`, a unit's `${LAN_ADDRESS}`), while cdktf token markers, which
 * become Terraform references, stay as they are.
 */
export function escapeTemplateSequences(content: string): string {
  return content.replace(/([$%])\{(?!TfToken\[TOKEN\.\d+\]\})/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}

/**
 * Delivers files to a running VM over SSH and runs an apply command, as a `terraform_data` resource
 * that is replaced (re-run) whenever any content changes. Settings delivered this way never touch
 * the instance's `user_data`, whose change would replace the VM.
 */
export class SshFileDelivery extends Construct {
  readonly resource: DataResource;
  readonly manifest: string;
  /** What the node receives, as delivered. */
  readonly files: readonly DeliveredFile[];

  constructor(scope: Construct, id: string, props: SshFileDeliveryProps) {
    super(scope, id);
    const validator = new PropsValidator(this);
    const names = new Set<string>();
    for (const file of props.files) {
      validator
        .check(
          PLAIN.test(file.name) && file.name !== MANIFEST_NAME,
          "files",
          `"${file.name}" must be a plain file name`,
        )
        .check(!names.has(file.name), "files", `"${file.name}" is delivered twice`)
        .check(
          file.destination === "-" || /^\/[A-Za-z0-9._/-]+$/.test(file.destination),
          "files",
          `${file.name}: destination "${file.destination}" must be an absolute path`,
        )
        .check(/^0[0-7]{3}$/.test(file.mode), "files", `${file.name}: mode "${file.mode}" must be octal such as 0640`)
        .check(
          PLAIN.test(file.owner) && PLAIN.test(file.group),
          "files",
          `${file.name}: owner and group must be plain names`,
        )
        .check(
          [...(file.restarts ?? []), ...(file.reloads ?? [])].every((unit) => PLAIN.test(unit)),
          "files",
          `${file.name}: restarts and reloads must name units`,
        );
      names.add(file.name);
    }
    validator
      .check(names.has(props.applyScript), "applyScript", `"${props.applyScript}" is not one of the delivered files`)
      .check(PLAIN.test(props.user), "user", `"${props.user}" is not a user name`)
      .throwIfInvalid();

    this.files = props.files;
    this.manifest = props.files
      .filter((file) => file.destination !== "-")
      .map((file) =>
        [
          file.mode,
          file.owner,
          file.group,
          file.name,
          file.destination,
          (file.restarts ?? []).join(",") || "-",
          (file.reloads ?? []).join(",") || "-",
        ].join("\t"),
      )
      .join("\n")
      .concat("\n");

    // One folder per delivery: two deliveries to the same node (settings, agent token) never share files.
    const staging = `/home/${props.user}/.${this.node.addr.slice(0, 16)}`;
    const connection = {
      type: "ssh" as const,
      host: props.host,
      user: props.user,
      agent: "true",
      ...(props.hostKey ? { hostKey: props.hostKey } : {}),
      // How long to wait for SSH on a booting VM.
      timeout: "15m",
    };
    const uploads: FileProvisioner[] = [
      ...props.files.map((file) => ({
        type: "file" as const,
        content: escapeTemplateSequences(file.content),
        destination: `${staging}/${file.name}`,
      })),
      { type: "file", content: this.manifest, destination: `${staging}/${MANIFEST_NAME}` },
    ];
    this.resource = new DataResource(this, "apply", {
      // Any change of any file re-runs the delivery. Terraform shows secrets here as (sensitive value).
      triggersReplace: {
        ...Object.fromEntries(
          [...props.files, { name: MANIFEST_NAME, content: this.manifest }].map((file) => [
            file.name,
            escapeTemplateSequences(file.content),
          ]),
        ),
        // A new VM behind the same address must receive everything again.
        target: props.target,
      },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      connection,
      // Terraform joins an inline list into one script that the login shell runs without -e: only the last
      // command's status would count (hashicorp/terraform#14359, #19734). errexit makes any failure stop the
      // provisioner, and so the deploy; the trap removes the staging folder (keys, tokens) however it ends.
      provisioners: [
        { type: "remote-exec", inline: ["set -o errexit", `rm -rf ${staging}`, `install -d -m 0700 ${staging}`] },
        ...uploads,
        {
          type: "remote-exec",
          inline: [
            "set -o errexit",
            `trap 'rm -rf ${staging}' EXIT`,
            `sudo bash ${staging}/${props.applyScript} ${staging}`,
          ],
        },
      ],
    });
  }
}
