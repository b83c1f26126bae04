import { TransientError, defineAgent } from "../../shared/runtime/index.js";
import { startConnector, type Connector } from "./connector.js";
import { replyToMention, resumeMention } from "./reply.js";

/** The running service of this process; deliveries that arrive before it started wait (they are retried). */
let connector: Connector | undefined;

/**
 * The social connector: follows the account's mentions on a Mastodon-API platform into the `social` flow, and
 * answers each mention once, under policy (who may be answered, the posting budget, high-risk topics wait for a
 * human), pile-on pauses, the mesh-wide switch (`mesh social pause|resume`) and the platform's own limits (429
 * Retry-After, 403 stops posting).
 */
export default defineAgent({
  name: "social",
  version: "1.0.0",
  consumes: { flow: "social", stage: "ingested" },
  concurrency: 4,
  // Its bucket holds the switch, claims, pile-on counts, pending reviews and the journal of large-model answers.
  state: true,
  models: true,
  escalates: true,
  async handle(task, ctx) {
    if (!connector) throw new TransientError("E_TOOL", "the social connector is still starting");
    return replyToMention(task, ctx, connector);
  },
  async resume(task, decision, ctx) {
    if (!connector) throw new TransientError("E_TOOL", "the social connector is still starting");
    return resumeMention(task, decision, ctx, connector);
  },
  async serve(svc) {
    connector = await startConnector(svc);
    return connector;
  },
});

/** The switch's record and keys are the connector's public contract with `mesh social` (the operator's side). */
export { backoffUntil, controlKey, readControl, type Control, type SocialMode } from "./control.js";
