import { createEnvelope, defineAgent } from "../../shared/runtime/index.js";

/**
 * The edge: every raw event on mesh.in.<flow> becomes one immutable envelope on mesh.task.<flow>.ingested.
 * Validation and normalisation are the flow's versioned schema (shared/envelope); an event that fails it
 * throws a SchemaError, which the runtime dead-letters with the message naming the field.
 */
export default defineAgent({
  name: "ingest",
  version: "1.0.0",
  consumes: { inbound: "*" },
  concurrency: 64,
  async handle(event, ctx) {
    const envelope = createEnvelope(event.flow, event.body, { traceparent: event.traceparent, maxBytes: ctx.maxEventBytes });
    await ctx.admit(envelope);
  },
});
