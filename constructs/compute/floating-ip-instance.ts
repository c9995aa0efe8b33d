import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { BlockstorageVolumeV3 } from "../../.gen/providers/openstack/blockstorage-volume-v3";
import { ComputeInstanceV2 } from "../../.gen/providers/openstack/compute-instance-v2";
import { ComputeVolumeAttachV2 } from "../../.gen/providers/openstack/compute-volume-attach-v2";
import { NetworkingFloatingipAssociateV2 } from "../../.gen/providers/openstack/networking-floatingip-associate-v2";
import { NetworkingFloatingipV2 } from "../../.gen/providers/openstack/networking-floatingip-v2";
import { NetworkingPortV2 } from "../../.gen/providers/openstack/networking-port-v2";
import { DNS_LABEL } from "../../domain/names";
import { PropsValidator } from "../validation";

export interface DataVolumeProps {
  /** Size in GB. */
  readonly sizeGb: number;
  /** Cinder volume type. @default the cloud's default */
  readonly volumeType?: string;
}

export interface FloatingIpInstanceProps {
  /** Instance name (also the port, floating-IP and volume name prefix): short, no dots. */
  readonly name: string;
  /** The Glance image's ID (see PinnedImage); a change rebuilds the VM in place. */
  readonly imageId: string;
  readonly flavorName: string;
  readonly keyPairName: string;
  readonly networkId: string;
  readonly subnetId: string;
  /** Fixed private address of the port. */
  readonly fixedIp: string;
  readonly securityGroupIds: readonly string[];
  /** Pool the floating IP is allocated from. */
  readonly floatingIpPool: string;
  /**
   * First-boot bootstrap. Later changes are ignored by Terraform (the provider would otherwise
   * replace the VM): converge running nodes through another channel.
   */
  readonly userData: string;
  readonly availabilityZone?: string;
  /** Server group (e.g. anti-affinity) the instance is scheduled into. */
  readonly serverGroupId?: string;
  /** A Cinder volume attached to the instance, kept when the instance is rebuilt or replaced. */
  readonly dataVolume?: DataVolumeProps;
  /** What must exist before the floating IP can route (the router's interface). */
  readonly networkReady?: readonly ITerraformDependable[];
  /**
   * Refuse any plan that would destroy the VM (a replacement included). Replacements that reach every VM at
   * once (a flavor deleted from Nova, a new server group) would otherwise destroy them all before creating
   * any. @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * Create, rebuild (image) or resize (flavor) the VM only after these: the provider changes image and
   * flavor in place and, across instances, all at once, unless each VM waits for the previous node.
   */
  readonly after?: readonly ITerraformDependable[];
}

/** A VM on a fixed-address port with a floating IP and an optional persistent data volume, never destroyed by Terraform. */
export class FloatingIpInstance extends Construct {
  readonly instance: ComputeInstanceV2;
  readonly privateIp: string;
  readonly publicIp: string;
  /** The data volume's ID (the guest finds its disk by it), if any. */
  readonly dataVolumeId?: string;
  /** Resources after which the node is reachable on its floating IP with its volume attached. */
  readonly ready: ITerraformDependable[];
  /**
   * What the VM's disk and size are: its instance ID, image and flavor. A replaced, rebuilt (new root disk,
   * same ID) or resized VM changes it, so whatever is delivered to the VM is delivered again.
   */
  readonly machine: string;

  constructor(scope: Construct, id: string, props: FloatingIpInstanceProps) {
    super(scope, id);
    new PropsValidator(this)
      .check(DNS_LABEL.test(props.name), "name", `"${props.name}" must be short, lowercase and without dots`)
      .check(/^\d+\.\d+\.\d+\.\d+$/.test(props.fixedIp), "fixedIp", `"${props.fixedIp}" is not an IPv4 address`)
      .check(props.securityGroupIds.length > 0, "securityGroupIds", "must name at least one security group")
      .check(
        !props.dataVolume || (Number.isInteger(props.dataVolume.sizeGb) && props.dataVolume.sizeGb > 0),
        "dataVolume.sizeGb",
        "must be a whole number of GB above 0",
      )
      .throwIfInvalid();

    const port = new NetworkingPortV2(this, "port", {
      name: props.name,
      networkId: props.networkId,
      adminStateUp: true,
      fixedIp: [{ subnetId: props.subnetId, ipAddress: props.fixedIp }],
      securityGroupIds: [...props.securityGroupIds],
    });
    this.instance = new ComputeInstanceV2(this, "instance", {
      name: props.name,
      imageId: props.imageId,
      flavorName: props.flavorName,
      keyPair: props.keyPairName,
      availabilityZone: props.availabilityZone,
      userData: props.userData,
      network: [{ port: port.id }],
      schedulerHints: props.serverGroupId ? [{ group: props.serverGroupId }] : undefined,
      lifecycle: { ignoreChanges: ["user_data"], ...(props.preventDestroy ? { preventDestroy: true } : {}) },
      dependsOn: props.after && props.after.length > 0 ? [...props.after] : undefined,
    });
    const floatingIp = new NetworkingFloatingipV2(this, "floating-ip", {
      pool: props.floatingIpPool,
      description: `${props.name}: Consul WAN address`,
    });
    const association = new NetworkingFloatingipAssociateV2(this, "floating-ip-association", {
      floatingIp: floatingIp.address,
      portId: port.id,
      dependsOn: props.networkReady ? [...props.networkReady] : undefined,
    });
    this.machine = `${this.instance.id} ${this.instance.imageId} ${this.instance.flavorName}`;
    this.privateIp = props.fixedIp;
    this.publicIp = floatingIp.address;
    this.ready = [this.instance, association];

    if (props.dataVolume) {
      const volume = new BlockstorageVolumeV3(this, "data-volume", {
        name: `${props.name}-data`,
        size: props.dataVolume.sizeGb,
        volumeType: props.dataVolume.volumeType,
        availabilityZone: props.availabilityZone,
        enableOnlineResize: true,
        // The volume holds state (Raft data): Terraform refuses to destroy it.
        lifecycle: { preventDestroy: true },
      });
      const attachment = new ComputeVolumeAttachV2(this, "data-volume-attachment", {
        instanceId: this.instance.id,
        volumeId: volume.id,
      });
      this.dataVolumeId = volume.id;
      this.ready.push(attachment);
    }
  }
}
