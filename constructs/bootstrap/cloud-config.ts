import { Document, Scalar, visit } from "yaml";

/**
 * The subset of cloud-config (cloud-init's user data) that this project emits. Property names are
 * cloud-init's own; shapes follow `schema-cloud-config-v1.json` of cloud-init 22.4, the oldest release
 * the tests validate against, so that anything typed here also passes `cloud-init schema`.
 */
export interface CloudConfig {
  readonly package_update?: boolean;
  readonly package_upgrade?: boolean;
  readonly apt?: CloudConfigApt;
  /** A name, or `[name, version]`. cloud-init rejects an empty list. */
  readonly packages?: readonly (string | readonly [string, string])[];
  readonly users?: readonly ("default" | CloudConfigUser)[];
  readonly write_files?: readonly CloudConfigWriteFile[];
  /** Runs on every boot, before most modules; a string goes through `sh -c`, an array is exec'd as is. */
  readonly bootcmd?: readonly CloudConfigCommand[];
  /** Runs once, on first boot; a string goes through `sh -c`, an array is exec'd as is. */
  readonly runcmd?: readonly CloudConfigCommand[];
  /** fstab entries: `[device, mountpoint, fstype, options, dump, pass]`, trailing fields optional. */
  readonly mounts?: readonly (readonly string[])[];
  readonly disk_setup?: Readonly<Record<string, CloudConfigDiskSetup>>;
  readonly fs_setup?: readonly CloudConfigFsSetup[];
  readonly ssh_pwauth?: boolean;
  /**
   * Host keys to install instead of generating new ones: `<type>_private` / `<type>_public` (ed25519, ecdsa,
   * rsa). With it, cloud-init generates none and (ssh_deletekeys, default true) removes the image's own.
   */
  readonly ssh_keys?: Readonly<Record<string, string>>;
  readonly preserve_hostname?: boolean;
  readonly hostname?: string;
  readonly fqdn?: string;
  readonly prefer_fqdn_over_hostname?: boolean;
  readonly manage_etc_hosts?: boolean | "localhost";
  readonly timezone?: string;
  readonly final_message?: string;
}

export type CloudConfigCommand = string | readonly string[];

export interface CloudConfigApt {
  /** Keyed by an arbitrary name; that name also becomes the list file's name unless `filename` is set. */
  readonly sources?: Readonly<Record<string, CloudConfigAptSource>>;
  readonly preserve_sources_list?: boolean;
}

export interface CloudConfigAptSource {
  /** A `deb …` line; `$RELEASE`, `$MIRROR` and `$PRIMARY` are expanded by cloud-init. */
  readonly source: string;
  /** ASCII-armoured public key. */
  readonly key?: string;
  readonly keyid?: string;
  readonly keyserver?: string;
  readonly filename?: string;
  readonly append?: boolean;
}

export interface CloudConfigUser {
  readonly name: string;
  readonly system?: boolean;
  readonly uid?: number;
  /** The user's primary group, which must exist (e.g. made in bootcmd). */
  readonly primary_group?: string;
  /** Do not make a group named after the user. */
  readonly no_user_group?: boolean;
  readonly shell?: string;
  readonly homedir?: string;
  readonly no_create_home?: boolean;
  readonly lock_passwd?: boolean;
  /** A comma-separated string or a list; cloud-init rejects an empty list. */
  readonly groups?: string | readonly string[];
  /** cloud-init rejects an empty list. */
  readonly ssh_authorized_keys?: readonly string[];
}

export interface CloudConfigWriteFile {
  readonly path: string;
  readonly content: string;
  /** `user:group`; the owner must exist when the module runs (see `defer`). */
  readonly owner?: string;
  /** Octal as a string (`"0640"`): a YAML number would be read as decimal or 1.1-octal depending on the parser. */
  readonly permissions?: string;
  readonly encoding?: "b64" | "text/plain";
  /** Write in the final stage, after users and packages exist, instead of the init stage. */
  readonly defer?: boolean;
}

export interface CloudConfigDiskSetup {
  readonly table_type?: "mbr" | "gpt";
  /** `true`: one partition over the whole disk; a list: partition sizes in percent (`[size, type]` pairs for MBR). */
  readonly layout?: boolean | "remove" | readonly (number | readonly [number, number])[];
  readonly overwrite?: boolean;
}

export interface CloudConfigFsSetup {
  readonly label?: string;
  readonly filesystem?: string;
  readonly device?: string;
  /**
   * cloud-init documents partition numbers here too, but the 22.4 schema rejects them; name the partition
   * in `device` (`/dev/vdb1`) instead.
   */
  readonly partition?: "auto" | "any" | "none";
  readonly overwrite?: boolean;
  readonly replace_fs?: string;
  readonly extra_opts?: string | readonly string[];
  readonly cmd?: string | readonly string[];
}

/** Strings that PyYAML resolves to tags it cannot construct (merge key, value key), so they must be quoted. */
const PYYAML_UNCONSTRUCTIBLE = new Set(["<<", "="]);

const MERGE_TAG = "tag:yaml.org,2002:merge";

export function renderCloudConfig(config: CloudConfig): string {
  const document = new Document(config, {
    // cloud-init parses with PyYAML, a YAML 1.1 parser: the 1.1 schema quotes strings such as "yes", "on",
    // "1:30" or "2024-01-01" that 1.1 reads as booleans, sexagesimal numbers and dates.
    version: "1.1",
    // The merge tag would print the string "<<" bare, as a merge key; without it the visit below quotes it.
    customTags: (tags) => tags.filter((tag) => typeof tag === "string" || tag.tag !== MERGE_TAG),
    // A list shared by two users (the same SSH keys) would otherwise become an anchor and an alias.
    aliasDuplicateObjects: false,
  });
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && PYYAML_UNCONSTRUCTIBLE.has(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  // lineWidth 0: folded long lines would turn scripts and PEM blocks into something harder to read and diff.
  return `#cloud-config\n${document.toString({ lineWidth: 0 })}`;
}
