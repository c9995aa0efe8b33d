import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { CONSUL_UNIT, NODE_PATHS, RESOLVED_UNIT } from "../../domain/node-paths";
import { DNS_LABEL } from "../../domain/names";
import type { FloatingIpInstance, FloatingIpInstanceProps } from "../compute/floating-ip-instance";
import { DeliveredFile, SshFileDelivery } from "../compute/ssh-file-delivery";
import { ReviewableFiles } from "../review/reviewable-files";
import type { CertificateSigner } from "../tls/certificate-authority";
import { PropsValidator } from "../validation";
import type { AgentSettings, ConsulAclSettings, ConsulAgentConfig } from "./agent-config";
import { consulDnsForwarding, ConsulNodePackages } from "./system-files";

/** The script that converges a node to the files delivered beside it. */
export const APPLY_SCRIPT = "node-apply.sh";
const APPLY_SCRIPT_SOURCE = readFileSync(join(__dirname, "files", APPLY_SCRIPT), "utf8");

/** Where and how the node's VM runs: the instance's props but those the node decides itself. */
export type ConsulNodeVmProps = Omit<FloatingIpInstanceProps, "name" | "userData" | "dataVolume">;

/** Settings shared by servers and gateways of one datacenter. */
export interface ConsulNodeProps {
  readonly nodeName: string;
  readonly datacenter: string;
  readonly primaryDatacenter: string;
  /** Consul's DNS domain. */
  readonly domain: string;
  /** Interface whose address Consul advertises in the datacenter. */
  readonly interfaceName: string;
  readonly vm: ConsulNodeVmProps;
  readonly ca: CertificateSigner;
  /** Gossip encryption key (a Terraform reference to a sensitive value). */
  readonly gossipKey: string;
  /** Fixed addresses of the datacenter's servers. */
  readonly retryJoin: readonly string[];
  readonly packages: ConsulNodePackages;
  /** SSH login user of the image, used to deliver settings. */
  readonly sshUser: string;
  /** Enable Connect (and, on servers, WAN federation over mesh gateways). */
  readonly connect: boolean;
  /** The agent's `acl` block; none while ACLs are off. */
  readonly acl?: ConsulAclSettings;
  /** Production agent settings (log level, telemetry, DNS). */
  readonly settings: AgentSettings;
  /** Apply this node's settings only after these (rolls restarts one node at a time); may be empty. */
  readonly applyAfter: readonly ITerraformDependable[];
}

/** The checks every Consul node makes of its props; the caller adds its own and calls throwIfInvalid(). */
export function consulNodeValidator(scope: Construct, props: ConsulNodeProps): PropsValidator {
  return new PropsValidator(scope)
    .check(
      DNS_LABEL.test(props.nodeName),
      "nodeName",
      `"${props.nodeName}" must be short, lowercase and without dots: a dotted node name breaks WAN federation`,
    )
    .check(props.retryJoin.length > 0, "retryJoin", "must list the datacenter's server addresses")
    .check(
      /^\d+\.\d+\.\d+-\d+$/.test(props.packages.consulVersion),
      "packages.consulVersion",
      `"${props.packages.consulVersion}" must be a Debian version such as 1.22.4-1`,
    );
}

interface FileOptions {
  /** Octal mode. @default "0644" */
  readonly mode?: string;
  /** Group owner; files with secrets the agent reads belong to `consul` with mode 0640. @default "root" */
  readonly group?: "root" | "consul";
  /** systemd units to restart when the file changes. */
  readonly restarts?: readonly string[];
}

/** The file factory: every file a node receives is owned by root, mode 0644 unless said otherwise. */
export const nodeFile = {
  /** A file installed at `destination`. */
  installed(name: string, destination: string, content: string, options: FileOptions = {}): DeliveredFile {
    return {
      name,
      destination,
      owner: "root",
      group: options.group ?? "root",
      mode: options.mode ?? "0644",
      content,
      ...(options.restarts ? { restarts: options.restarts } : {}),
    };
  },
  /** Readable by the agent only (its configuration, its private key): root:consul 0640, restarts Consul. */
  forAgent(name: string, destination: string, content: string): DeliveredFile {
    return nodeFile.installed(name, destination, content, { group: "consul", mode: "0640", restarts: [CONSUL_UNIT] });
  },
  /** A file only the apply script reads from the staging folder. */
  staged(name: string, content: string, mode = "0600"): DeliveredFile {
    return { name, destination: "-", owner: "root", group: "root", mode, content };
  },
  /** The apply script itself. */
  applyScript(): DeliveredFile {
    return nodeFile.staged(APPLY_SCRIPT, APPLY_SCRIPT_SOURCE, "0700");
  },
  /** The agent configuration, rendered as JSON. */
  agentConfig(config: ConsulAgentConfig): DeliveredFile {
    return nodeFile.forAgent("consul.json", NODE_PATHS.agentConfig, `${JSON.stringify(config, null, 2)}\n`);
  },
  /** The agent's certificate and key, where the agent configuration expects them. */
  certificate(certificate: { certPem: string; privateKeyPem: string }): DeliveredFile[] {
    return [
      nodeFile.installed("agent.pem", NODE_PATHS.certFile, certificate.certPem, { restarts: [CONSUL_UNIT] }),
      nodeFile.forAgent("agent-key.pem", NODE_PATHS.keyFile, certificate.privateKeyPem),
    ];
  },
  /** The resolver drop-in that sends the Consul domain(s) to the local agent. */
  dnsForwarding(domains: readonly string[]): DeliveredFile {
    return nodeFile.installed("resolved-consul.conf", NODE_PATHS.resolvedDropIn, consulDnsForwarding(domains), {
      restarts: [RESOLVED_UNIT],
    });
  },
};

export interface NodeDeliveryInput {
  readonly vm: FloatingIpInstance;
  readonly cloudConfig: string;
  readonly files: readonly DeliveredFile[];
}

/**
 * Delivers a node's files to its VM (construct `settings`) and shows them to reviewers under
 * `nodes/<datacenter>/<node>/` (construct `review`); returns the resource that completes when the node
 * runs them.
 */
export function deliverNodeFiles(
  scope: Construct,
  props: ConsulNodeProps,
  input: NodeDeliveryInput,
): ITerraformDependable {
  const delivery = new SshFileDelivery(scope, "settings", {
    host: input.vm.publicIp,
    user: props.sshUser,
    files: input.files,
    applyScript: APPLY_SCRIPT,
    target: input.vm.instance.id,
    dependsOn: [...input.vm.ready, ...props.applyAfter],
  });
  new ReviewableFiles(scope, "review", {
    folder: `nodes/${props.datacenter}/${props.nodeName}`,
    files: {
      "cloud-config.yaml": input.cloudConfig,
      ...Object.fromEntries(input.files.map((file) => [file.name, file.content])),
      "manifest.tsv": delivery.manifest,
    },
  });
  return delivery.resource;
}
