import { flowOf, serveRequests, subjects, type Bus } from "../bus/index.js";
import { parseJsonBody } from "../envelope/index.js";
import type { Logger } from "../telemetry/index.js";
import type { EffectScope } from "./context.js";
import { boundedWork } from "./bounded-work.js";
import { taskStatus } from "./task-status.js";

const encoder = new TextEncoder();

/**
 * The status service for programs: a request on `mesh.status.<flow>` with the caller's source ref
 * (`{"system": "erp", "id": "INV-1"}`) gets the answer `mesh status --json` prints, or `{"error": {code, message}}`
 * naming the field at fault. Each answer is a data.read effect on the request's subject: decided and audited.
 * An answer reads the flow's streams (the whole DLQ for an event never admitted), so a flood of questions is shed
 * with E_RATE_LIMITED beyond a few at a time rather than left to starve the agent's own work.
 */
export function serveTaskStatus(bus: Bus, agent: string, scope: () => EffectScope, region: string, log: Logger): { stop(): void } {
  const work = boundedWork("the status service", { concurrency: 2, queue: 32 });
  return serveRequests(bus, subjects.allStatus(), `${agent}-status`, async (req, respond) => {
    const flow = flowOf(req.subject);
    try {
      await work.run(() => scope().perform({
        action: "data.read",
        resource: { subject: req.subject },
        facts: {},
        region,
        run: async () => {
          const answer = await taskStatus(bus, flow, parseJsonBody(req.data, "status request"), { asAgent: true });
          respond(encoder.encode(JSON.stringify(answer)));
          return { envelopeId: answer.envelopeId, state: answer.state };
        },
        describe: (r) => r,
      }));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      log.warn({ subject: req.subject, code: e.code }, "status request refused");
      respond(encoder.encode(JSON.stringify({ error: { code: e.code ?? "E_INTERNAL", message: e.message ?? String(err) } })));
    }
  });
}
