import { TerraformStack } from "cdktf";
import { PinnedImage } from "../constructs/compute/pinned-image";
import { terraformLiteral } from "../constructs/terraform-literal";
import { Construct } from "constructs";
import type { MeshGatewayNode } from "../constructs/consul/mesh-gateway-node";
import { addressOutputs, DatacenterStack } from "./datacenter-stack";
import { addGateways } from "./datacenter-nodes";
import type { FederationPlan } from "./federation-plan";
import { configureStack } from "./stack-setup";
import type { TokenSecrets } from "./token-routing";
import type { FederationPki } from "./federation-pki";

/** The primary's mesh gateways: they start once the primary's ACLs exist, before any secondary. */
export class PrimaryGatewaysStack extends TerraformStack {
  readonly gateways: MeshGatewayNode[];

  constructor(
    scope: Construct,
    id: string,
    props: { plan: FederationPlan; primary: DatacenterStack; tokens: TokenSecrets },
  ) {
    super(scope, id);
    const { plan, primary } = props;
    configureStack(this, plan.config, primary.datacenter.config);
    this.gateways = addGateways(
      this,
      {
        plan,
        datacenter: primary.datacenter,
        foundation: primary.foundation,
        secrets: primary.secrets,
        image: new PinnedImage(this, "os-image", {
          imageName: terraformLiteral(primary.datacenter.config.openstack.image),
        }),
        tokens: props.tokens,
        certificates: (node) => ({ issued: (primary.pki as FederationPki).certificateOf(node) }),
      },
      [],
    );
    addressOutputs(this, [], this.gateways);
  }
}
