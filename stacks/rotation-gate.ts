import { DataResource, TerraformBackend, TerraformOutput, TerraformResource, TerraformStack } from "cdktf";

/**
 * A CA rotation may start only once the one before has reached every node: until then some nodes still present
 * certificates of the generation the next rotation drops from every trust bundle (and whose key it destroys).
 * The last stack, which runs only after every datacenter's stack has applied, records the generations it has
 * seen through; the primary's stack reads that record at plan time and refuses a counter more than one above it,
 * before anything changes. The reading is a plain `terraform_remote_state` of the last stack's state, not a
 * reference between stacks (that would make the first stack depend on the last).
 */
export const COMPLETED_ROTATIONS_OUTPUT = "completed-rotations";

/** In the last stack: the rotations every node has now been through. */
export function recordCompletedRotations(
  last: TerraformStack,
  rotations: { readonly ca: number },
  after: readonly TerraformResource[],
): void {
  const record = new TerraformOutput(last, COMPLETED_ROTATIONS_OUTPUT, {
    description: "The rotations every node of the federation has been through (read by the primary's stack)",
    value: { ca: rotations.ca },
  });
  // Written only once the last stack's own steps have run too. Terraform's JSON syntax takes depends_on as bare
  // addresses: the "${...}" that cdktf writes for an output's dependsOn is refused by `terraform init`.
  if (after.length > 0) {
    record.addOverride(
      "depends_on",
      after.map((resource) => `${resource.terraformResourceType}.${resource.friendlyUniqueId}`),
    );
  }
}

/** In the primary's stack: refuses `rotation.ca` above the last completed generation plus one. */
export function gateCaRotation(primary: TerraformStack, last: TerraformStack, generation: number): void {
  const backend = last.node.children.find((child): child is TerraformBackend => child instanceof TerraformBackend);
  if (!backend) throw new Error(`${last.node.path}: the stack has no backend to read its record from`);
  const record = backend.getRemoteStateDataSource(primary, COMPLETED_ROTATIONS_OUTPUT, last.node.id);
  // A federation made before the record existed has none: its CA is the first generation.
  record.addOverride("defaults", { [COMPLETED_ROTATIONS_OUTPUT]: { ca: 0 } });
  const completed = `${record.fqn}.outputs["${COMPLETED_ROTATIONS_OUTPUT}"].ca`;
  new DataResource(primary, "ca-rotation-gate", {
    input: { generation },
    lifecycle: {
      precondition: [
        {
          condition: `\${${generation} <= ${completed} + 1}`,
          errorMessage: `rotation.ca: ${generation} is more than one above the last CA rotation every node has been through (\${${completed}}): nodes that still present certificates of an older CA would lose trust. Deploy every stack through ${last.node.id} first, then raise it by one.`,
        },
      ],
    },
  });
}
