import { DataResource, TerraformBackend, TerraformOutput, TerraformStack } from "cdktf";

/**
 * Some rotations may start only once the one before has gone through the whole deploy:
 * - a CA rotation, until it has reached every node, leaves nodes that still present certificates of the generation
 *   the next rotation drops from every trust bundle (and whose key it destroys);
 * - a management token rotation makes the new token with one of the previous generations, and the last stack
 *   deletes those: raised again before a deploy made it, no generation that Consul holds would be left to make the
 *   next one with.
 * The last stack, which runs only after every datacenter's stack has applied, records the generations it has seen
 * through; the primary's stack reads that record at plan time and refuses a counter more than one above it, before
 * anything changes. The reading is a plain `terraform_remote_state` of the last stack's state, not a reference
 * between stacks (that would make the first stack depend on the last).
 */
export const COMPLETED_ROTATIONS_OUTPUT = "completed-rotations";

/** The gated counters of `rotation`, by their configuration names. */
export interface GatedRotations {
  readonly ca: number;
  readonly managementToken: number;
}

/** In the last stack: the rotations every node has now been through. */
export function recordCompletedRotations(last: TerraformStack, rotations: GatedRotations): void {
  new TerraformOutput(last, COMPLETED_ROTATIONS_OUTPUT, {
    description: "The rotations every node of the federation has been through (read by the primary's stack)",
    value: { ...rotations },
  });
}

const WHY: Record<keyof GatedRotations, string> = {
  ca: "nodes that still present certificates of an older CA would lose trust",
  managementToken: "no earlier management token would be left to make the new one with",
};

/** In the primary's stack: refuses a gated counter above the last completed generation plus one. */
export function gateRotations(primary: TerraformStack, last: TerraformStack, rotations: GatedRotations): void {
  const gated = (Object.keys(WHY) as (keyof GatedRotations)[]).filter((counter) => rotations[counter] > 0);
  if (gated.length === 0) return;
  const backend = last.node.children.find((child): child is TerraformBackend => child instanceof TerraformBackend);
  if (!backend) throw new Error(`${last.node.path}: the stack has no backend to read its record from`);
  const record = backend.getRemoteStateDataSource(primary, COMPLETED_ROTATIONS_OUTPUT, last.node.id);
  // A federation made before the record existed has none (its CA and management token are the first), and one
  // made before a counter was recorded lacks that counter.
  record.addOverride("defaults", { [COMPLETED_ROTATIONS_OUTPUT]: { ca: 0, managementToken: 0 } });
  for (const counter of gated) {
    const completed = `try(${record.fqn}.outputs["${COMPLETED_ROTATIONS_OUTPUT}"].${counter}, 0)`;
    const generation = rotations[counter];
    new DataResource(primary, `${counter === "ca" ? "ca" : "management-token"}-rotation-gate`, {
      input: { generation },
      lifecycle: {
        precondition: [
          {
            condition: `\${${generation} <= ${completed} + 1}`,
            errorMessage: `rotation.${counter}: ${generation} is more than one above the last rotation every node has been through (\${${completed}}): ${WHY[counter]}. Deploy every stack through ${last.node.id} first, then raise it by one.`,
          },
        ],
      },
    });
  }
}
