import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Construct } from "constructs";
import { SshFileDelivery } from "../compute/ssh-file-delivery";

const SCRIPT = "set-agent-token.sh";
const SCRIPT_SOURCE = readFileSync(join(__dirname, "files", SCRIPT), "utf8");

export interface AgentTokenDeliveryProps {
  /** The node's floating IP. */
  readonly host: string;
  readonly sshUser: string;
  /** Secret of the node's agent token. */
  readonly agentToken: string;
  /** A token allowed to set agent tokens (the management token). */
  readonly managementToken: string;
  /** The node's instance ID: a new VM gets its token again. */
  readonly target: string;
}

/**
 * Sets the agent token of a running agent (Consul's `PUT /v1/agent/token/agent`), for agents that
 * started before their token could exist: the primary's servers, whose ACL system makes the token.
 */
export class AgentTokenDelivery extends Construct {
  readonly delivery: SshFileDelivery;

  constructor(scope: Construct, id: string, props: AgentTokenDeliveryProps) {
    super(scope, id);
    const secret = { destination: "-", owner: "root", group: "root", mode: "0600" } as const;
    this.delivery = new SshFileDelivery(this, "delivery", {
      host: props.host,
      user: props.sshUser,
      applyScript: SCRIPT,
      target: props.target,
      files: [
        { name: SCRIPT, content: SCRIPT_SOURCE, ...secret, mode: "0700" },
        { name: "agent-token.json", content: JSON.stringify({ Token: props.agentToken }), ...secret },
        { name: "management-token.header", content: `X-Consul-Token: ${props.managementToken}\n`, ...secret },
      ],
    });
  }
}
