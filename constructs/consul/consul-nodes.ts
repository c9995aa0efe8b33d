import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { renderCloudConfig } from "../bootstrap/cloud-config";
import { DataVolumeProps, FloatingIpInstance, FloatingIpInstanceProps } from "../compute/floating-ip-instance";
import { DeliveredFile, SshFileDelivery } from "../compute/ssh-file-delivery";
import { ReviewableFiles } from "../review/reviewable-files";
import type { CertificateSigner } from "../tls/certificate-authority";
import { ClientCertificate, ServerCertificate } from "../tls/server-certificate";
import { NODE_NAME, PropsValidator } from "../validation";
import {
  AgentSettings,
  ConsulAclSettings,
  ConsulAgentConfig,
  DEFAULT_AGENT_SETTINGS,
  gatewayAgentConfig,
  NODE_PATHS,
  serverAgentConfig,
} from "./agent-config";
import {
  APPLY_SCRIPT,
  CONSUL_UNIT,
  ConsulNodePackages,
  ConsulNodeRole,
  consulNodeCloudConfig,
  consulDnsForwarding,
  consulUnit,
  MESH_GATEWAY_UNIT,
  meshGatewayUnit,
  nodeEnvironment,
  renderSystemdUnit,
} from "./node-files";
import { renderEnvironmentFile } from "../bootstrap/environment-file";

const APPLY_SCRIPT_SOURCE = readFileSync(join(__dirname, "files", APPLY_SCRIPT), "utf8");

/** Where and how the node's VM runs: the instance's props but those the node decides itself. */
export type ConsulNodeVmProps = Omit<FloatingIpInstanceProps, "name" | "userData" | "dataVolume">;

/** Settings shared by servers and gateways of one datacenter. */
export interface ConsulNodeProps {
  readonly nodeName: string;
  readonly datacenter: string;
  readonly primaryDatacenter: string;
  /** @default "consul" */
  readonly domain?: string;
  /** Interface whose address Consul advertises in the datacenter. @default "ens3" */
  readonly interfaceName?: string;
  readonly vm: ConsulNodeVmProps;
  readonly ca: CertificateSigner;
  /** Gossip encryption key (a Terraform reference to a sensitive value). */
  readonly gossipKey: string;
  /** Fixed addresses of the datacenter's servers. */
  readonly retryJoin: readonly string[];
  readonly packages: ConsulNodePackages;
  /** SSH login user of the image, used to deliver settings. */
  readonly sshUser: string;
  /** Enable Connect (and, on servers, WAN federation over mesh gateways). @default true */
  readonly connect?: boolean;
  readonly acl?: ConsulAclSettings;
  /** Production agent settings (log level, telemetry, DNS). @default DEFAULT_AGENT_SETTINGS */
  readonly settings?: AgentSettings;
  /** Forward the Consul domain(s) from the node's resolver to the local agent. @default true */
  readonly dnsForwarding?: boolean;
  /** Apply this node's settings only after these (rolls restarts one node at a time). */
  readonly applyAfter?: readonly ITerraformDependable[];
  /** Folder of the reviewable files below the synth output. @default nodes/<datacenter>/<nodeName> */
  readonly reviewFolder?: string;
}

export interface ConsulServerNodeProps extends ConsulNodeProps {
  /** Wait until the datacenter has a leader before the node counts as applied (its last server). @default false */
  readonly waitForLeader?: boolean;
  /** Number of servers in the datacenter (bootstrap_expect). */
  readonly serverCount: number;
  /** Secondary datacenters: the primary's mesh gateways, `<address>:8443`. */
  readonly primaryGateways?: readonly string[];
  /** The Raft data volume. */
  readonly dataVolume: DataVolumeProps;
}

export interface MeshGatewayNodeProps extends ConsulNodeProps {
  /** Service name the gateway registers as. @default "mesh-gateway" */
  readonly serviceName?: string;
  /** Run Envoy and register the gateway; needs Connect on the servers. @default true */
  readonly startGateway?: boolean;
  /** ACL token Envoy registers and fetches its configuration with (sensitive). @default none (ACLs off) */
  readonly gatewayToken?: string;
}

function validateCommon(scope: Construct, props: ConsulNodeProps): PropsValidator {
  return new PropsValidator(scope)
    .check(
      NODE_NAME.test(props.nodeName),
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

function review(scope: Construct, props: ConsulNodeProps, files: Record<string, string>): void {
  new ReviewableFiles(scope, "review", {
    folder: props.reviewFolder ?? `nodes/${props.datacenter}/${props.nodeName}`,
    files,
  });
}

function renderAgentConfig(config: ConsulAgentConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

const root = { owner: "root", group: "root" } as const;

/** The agent's certificate and key, as the agent configuration expects them. */
function certificateFiles(certificate: { certPem: string; privateKeyPem: string }): DeliveredFile[] {
  return [
    {
      name: "agent.pem",
      destination: NODE_PATHS.certFile,
      ...root,
      mode: "0644",
      content: certificate.certPem,
      restarts: [CONSUL_UNIT],
    },
    {
      name: "agent-key.pem",
      destination: NODE_PATHS.keyFile,
      ...consulReadable,
      mode: "0640",
      content: certificate.privateKeyPem,
      restarts: [CONSUL_UNIT],
    },
  ];
}

function dnsForwardingFile(props: ConsulNodeProps): DeliveredFile {
  const altDomain = (props.settings ?? DEFAULT_AGENT_SETTINGS).altDomain;
  return {
    name: "resolved-consul.conf",
    destination: NODE_PATHS.resolvedDropIn,
    ...root,
    mode: "0644",
    content: consulDnsForwarding([props.domain ?? "consul", ...(altDomain ? [altDomain] : [])]),
    restarts: ["systemd-resolved.service"],
  };
}
const consulReadable = { owner: "root", group: "consul" } as const;

/** Builds the VM and the delivery of a node's files; returns the VM for the caller's outputs. */
function buildNode(
  scope: Construct,
  role: ConsulNodeRole,
  props: ConsulNodeProps,
  dataVolume: DataVolumeProps | undefined,
  environment: { startGateway?: boolean; waitForLeader?: boolean },
  agentConfig: (vm: FloatingIpInstance) => ConsulAgentConfig,
  extraFiles: (vm: FloatingIpInstance) => DeliveredFile[],
): { vm: FloatingIpInstance; delivery: SshFileDelivery; agentConfig: ConsulAgentConfig } {
  const cloudConfig = renderCloudConfig(consulNodeCloudConfig(role, props.nodeName, props.packages));
  const vm = new FloatingIpInstance(scope, "vm", {
    name: props.nodeName,
    ...props.vm,
    userData: cloudConfig,
    dataVolume,
  });
  const config = agentConfig(vm);
  const unit = renderSystemdUnit(consulUnit(role));
  const files: DeliveredFile[] = [
    { name: APPLY_SCRIPT, destination: "-", ...root, mode: "0700", content: APPLY_SCRIPT_SOURCE },
    {
      name: "node.env",
      destination: "-",
      ...root,
      mode: "0600",
      content: nodeEnvironment({ role, packages: props.packages, dataDevice: vm.dataVolumeDevice, ...environment }),
    },
    {
      name: "ca.pem",
      destination: NODE_PATHS.caFile,
      ...root,
      mode: "0644",
      content: props.ca.certPem,
      restarts: [CONSUL_UNIT],
    },
    {
      name: "consul.json",
      destination: NODE_PATHS.agentConfig,
      ...consulReadable,
      mode: "0640",
      content: renderAgentConfig(config),
      restarts: [CONSUL_UNIT],
    },
    {
      name: CONSUL_UNIT,
      destination: `/etc/systemd/system/${CONSUL_UNIT}`,
      ...root,
      mode: "0644",
      content: unit,
      restarts: [CONSUL_UNIT],
    },
    ...(props.dnsForwarding === false ? [] : [dnsForwardingFile(props)]),
    ...extraFiles(vm),
  ];
  const delivery = new SshFileDelivery(scope, "settings", {
    host: vm.publicIp,
    user: props.sshUser,
    files,
    applyScript: APPLY_SCRIPT,
    target: vm.instance.id,
    dependsOn: [...vm.ready, ...(props.applyAfter ?? [])],
  });
  review(scope, props, {
    "cloud-config.yaml": cloudConfig,
    ...Object.fromEntries(files.map((file) => [file.name, file.content])),
    "manifest.tsv": delivery.manifest,
  });
  return { vm, delivery, agentConfig: config };
}

/**
 * A Consul server: VM in the server group with its Raft data on a Cinder volume, a certificate with
 * every SAN that federation needs, and its agent configuration delivered to the running VM.
 */
export class ConsulServerNode extends Construct {
  readonly vm: FloatingIpInstance;
  readonly certificate: ServerCertificate;
  readonly agentConfig: ConsulAgentConfig;
  /** Completes when the node runs its current settings. */
  readonly settingsApplied: ITerraformDependable;

  constructor(scope: Construct, id: string, props: ConsulServerNodeProps) {
    super(scope, id);
    validateCommon(this, props)
      .check(
        Number.isInteger(props.serverCount) && props.serverCount % 2 === 1,
        "serverCount",
        `${props.serverCount} must be odd (1, 3, 5)`,
      )
      .check(props.retryJoin.includes(props.vm.fixedIp), "retryJoin", "must include this server's own address")
      .check(
        props.primaryGateways === undefined || props.primaryDatacenter !== props.datacenter,
        "primaryGateways",
        "are only for servers of secondary datacenters",
      )
      .check(
        props.primaryGateways === undefined || props.primaryGateways.length > 0,
        "primaryGateways",
        "must list the primary's gateways (<address>:8443)",
      )
      .throwIfInvalid();

    const domain = props.domain ?? "consul";
    let certificate: ServerCertificate | undefined;
    const built = buildNode(
      this,
      "server",
      props,
      props.dataVolume,
      { waitForLeader: props.waitForLeader },
      (vm) =>
        serverAgentConfig({
          datacenter: props.datacenter,
          primaryDatacenter: props.primaryDatacenter,
          nodeName: props.nodeName,
          domain,
          interfaceName: props.interfaceName ?? "ens3",
          wanAddress: vm.publicIp,
          retryJoin: props.retryJoin,
          gossipKey: props.gossipKey,
          settings: props.settings,
          serverCount: props.serverCount,
          primaryGateways: props.primaryGateways,
          connect: props.connect ?? true,
          acl: props.acl,
        }),
      (vm) => {
        certificate = new ServerCertificate(this, "certificate", {
          ca: props.ca,
          nodeName: props.nodeName,
          datacenter: props.datacenter,
          domain,
          ipAddresses: [vm.privateIp, vm.publicIp],
        });
        return certificateFiles(certificate);
      },
    );
    if (!certificate) throw new Error("unreachable: the certificate is created with the node's files");
    this.certificate = certificate;
    this.vm = built.vm;
    this.agentConfig = built.agentConfig;
    this.settingsApplied = built.delivery.resource;
  }
}

/**
 * A mesh gateway: a Consul client agent (its certificate from the federation CA) and Envoy registered as
 * the datacenter's mesh gateway, advertising its floating IP as the WAN address.
 */
export class MeshGatewayNode extends Construct {
  readonly vm: FloatingIpInstance;
  readonly agentConfig: ConsulAgentConfig;
  readonly serviceName: string;
  readonly settingsApplied: ITerraformDependable;

  constructor(scope: Construct, id: string, props: MeshGatewayNodeProps) {
    super(scope, id);
    const serviceName = props.serviceName ?? "mesh-gateway";
    validateCommon(this, props)
      .check(NODE_NAME.test(serviceName), "serviceName", `"${serviceName}" must be a service name such as mesh-gateway`)
      .throwIfInvalid();
    this.serviceName = serviceName;

    const built = buildNode(
      this,
      "gateway",
      props,
      undefined,
      { startGateway: props.startGateway ?? true },
      (vm) =>
        gatewayAgentConfig({
          datacenter: props.datacenter,
          primaryDatacenter: props.primaryDatacenter,
          nodeName: props.nodeName,
          domain: props.domain ?? "consul",
          interfaceName: props.interfaceName ?? "ens3",
          wanAddress: vm.publicIp,
          retryJoin: props.retryJoin,
          gossipKey: props.gossipKey,
          settings: props.settings,
          connect: props.connect ?? true,
          acl: props.acl,
        }),
      (vm) => [
        ...certificateFiles(
          new ClientCertificate(this, "certificate", {
            ca: props.ca,
            nodeName: props.nodeName,
            datacenter: props.datacenter,
            domain: props.domain,
            privateIp: vm.privateIp,
          }),
        ),
        {
          name: MESH_GATEWAY_UNIT,
          destination: `/etc/systemd/system/${MESH_GATEWAY_UNIT}`,
          ...root,
          mode: "0644",
          content: renderSystemdUnit(meshGatewayUnit()),
          restarts: [MESH_GATEWAY_UNIT],
        },
        {
          name: "mesh-gateway.env",
          destination: NODE_PATHS.gatewayEnvironment,
          ...consulReadable,
          mode: "0640",
          content: renderEnvironmentFile({
            GATEWAY_SERVICE: serviceName,
            LAN_ADDRESS: vm.privateIp,
            WAN_ADDRESS: vm.publicIp,
            ...(props.gatewayToken ? { CONSUL_HTTP_TOKEN: props.gatewayToken } : {}),
          }),
          restarts: [MESH_GATEWAY_UNIT],
        },
      ],
    );
    this.vm = built.vm;
    this.agentConfig = built.agentConfig;
    this.settingsApplied = built.delivery.resource;
  }
}
