/**
 * Terraform drops the sensitive mark of the outputs it reads through `terraform_remote_state`
 * (hashicorp/terraform#29544): the tokens, keys and gossip key one stack hands another would be printed in
 * plain text in every plan and apply of the stack that reads them. cdktf carries every value that crosses
 * stacks as such an output (all of them sensitive in the stack that writes them), so every reading is
 * wrapped in `sensitive()`: the value stays hidden where it is used, as it is where it is made.
 */
const REMOTE_STATE_READING = /(?<!sensitive\()\bdata\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+/g;

/** A synthesized stack's JSON with every reading of another stack's output marked sensitive. */
export function markRemoteStateSensitive(stackJson: string): string {
  return stackJson.replace(REMOTE_STATE_READING, (reading) => `sensitive(${reading})`);
}
