import { TerraformStack } from "cdktf";

/** A `removed` block that makes Terraform forget a resource without destroying it (Terraform 1.7). */
interface RemovedBlock {
  readonly from: string;
  readonly lifecycle: { readonly destroy: false };
}

const removedByStack = new WeakMap<TerraformStack, RemovedBlock[]>();

/**
 * Makes Terraform forget the resource at `address` (`<type>.<logical id>`) instead of destroying it once it has
 * left the configuration: a `removed` block with `destroy = false`
 * (developer.hashicorp.com/terraform/language/resources/syntax#removing-resources). A block for an address that
 * the state does not hold changes nothing. A stack has one `removed` list: every caller adds to it.
 */
export function forgetResource(stack: TerraformStack, address: string): void {
  const blocks = removedByStack.get(stack) ?? [];
  if (blocks.some((block) => block.from === address)) return;
  blocks.push({ from: address, lifecycle: { destroy: false } });
  removedByStack.set(stack, blocks);
  stack.addOverride("removed", [...blocks]);
}
