import { cliIdentity } from "../connect.js";
import { connectBus, deadLetterSchema, publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { sampleTicketEvents } from "../../shared/datasets/index.js";
import { invoiceEvents } from "../demo/sample-invoices.js";
import { progress } from "../progress.js";
import { describeMesh, startMesh, untilSignal } from "./up.js";

const decoder = new TextDecoder();

interface Outcome {
  readonly envelopeId: string;
  readonly code?: string;
  readonly reason?: string;
  readonly result?: { intent?: string; tier?: string };
}

/**
 * `npm start`: a whole mesh on this machine (its own nats-server under .mesh/, the LLM stand-in unless a key is
 * set), sample invoices and support tickets through it, and a summary of what came out. Keeps running for
 * exploration unless --exit.
 */
export async function demoCommand(opts: { exit?: boolean; invoices?: number; tickets?: number }): Promise<number> {
  const mesh = await startMesh({ ownNats: !process.env.NATS_URL });
  const bus = await connectBus({
    servers: mesh.natsUrl,
    name: "mesh-demo",
    ...(mesh.operatorSeed ? { seed: mesh.operatorSeed } : cliIdentity().auth),
  });
  try {
    process.stdout.write(`${describeMesh(mesh)}\n\n`);
    const run = Date.now().toString(36);
    const invoices = invoiceEvents(opts.invoices ?? 200, { system: `demo-erp-${run}` });
    const tickets = sampleTicketEvents(opts.tickets ?? 100, { system: `demo-helpdesk-${run}` });
    const bar = progress("demo: publishing invoices and tickets", invoices.length + tickets.length + 1);
    const send = async (flow: string, body: unknown, id: string) => {
      await publish(bus, subjects.inbound(flow), body, { msgId: `demo:${run}:${id}` });
      bar.tick();
    };
    await Promise.all([
      ...invoices.map((e, i) => send("invoice", e, `inv-${i}`)),
      ...tickets.map(({ event }, i) => send("ticket", event, `tck-${i}`)),
      // One malformed event, to show where bad input goes.
      send("invoice", { tenant: "acme", region: "eu", source: { system: `demo-erp-${run}`, id: "broken" }, payload: { amount: "a lot" } }, "bad"),
    ]);
    bar.done();

    const invoiceOutcomes = await waitForOutcomes(bus, "invoice", new Set(invoices.map((e) => envelopeId(e.source))));
    const ticketOutcomes = await waitForOutcomes(bus, "ticket", new Set(tickets.map(({ event }) => envelopeId(event.source))));
    const letters = (await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("invoice") }))
      .map((m) => deadLetterSchema.parse(JSON.parse(decoder.decode(m.data))))
      .filter((l) => l.body.encoding === "utf8" && l.body.data.includes(`demo-erp-${run}`));

    const expected = new Map(tickets.map(({ event, expected }) => [envelopeId(event.source), expected]));
    const byTier = new Map<string, number>();
    let right = 0;
    for (const r of ticketOutcomes.results) {
      byTier.set(r.result?.tier ?? "?", (byTier.get(r.result?.tier ?? "?") ?? 0) + 1);
      if (r.result?.intent === expected.get(r.envelopeId)) right++;
    }
    const reviewCodes = new Map<string, number>();
    for (const r of ticketOutcomes.reviews) reviewCodes.set(r.code ?? "?", (reviewCodes.get(r.code ?? "?") ?? 0) + 1);
    process.stdout.write(
      [
        "",
        `invoice flow: ${invoiceOutcomes.results.length} matched and completed, ${invoiceOutcomes.reviews.length} escalated to a human, ${letters.length} dead-lettered`,
        ...invoiceOutcomes.reviews.slice(0, 2).map((r) => `  escalated: ${r.code} — ${r.reason}`),
        ...letters.map((l) => `  dead letter: ${l.code} — ${l.reason.slice(0, 160)}`),
        `ticket flow: ${ticketOutcomes.results.length} triaged automatically (${[...byTier].map(([t, n]) => `${n} by ${t}`).join(", ")}), ` +
          `${right} of them with the intent a person gave; ${ticketOutcomes.reviews.length} sent to review (${[...reviewCodes].map(([c, n]) => `${n} ${c}`).join(", ")})`,
        ...(mesh.review ? [`review them at ${mesh.review.url}${mesh.review.token ? ` (token ${mesh.review.token})` : ""}`] : []),
        "cost per task and flow: npm run mesh -- cost",
        "",
      ].join("\n"),
    );
    if (opts.exit) return 0;
    process.stdout.write("The mesh keeps running: try 'npm run mesh -- tail \"mesh.>\"' or 'npm run mesh -- dlq ls' in another terminal. Ctrl-C stops it.\n");
    await untilSignal();
    return 0;
  } finally {
    await bus.close();
    await mesh.stop();
  }
}

async function waitForOutcomes(bus: Bus, flow: string, ids: ReadonlySet<string>): Promise<{ results: Outcome[]; reviews: Outcome[] }> {
  const read = async (stream: string, filterSubject: string) =>
    (await readStream(bus, stream, { filterSubject }))
      .map((m) => JSON.parse(decoder.decode(m.data)) as Outcome)
      .filter((o) => ids.has(o.envelopeId));
  const bar = progress(`demo: waiting for ${flow} outcomes`, ids.size);
  const deadline = Date.now() + 120_000;
  let results: Outcome[] = [];
  let reviews: Outcome[] = [];
  let shown = 0;
  while (Date.now() < deadline) {
    results = await read(streamNames.result, subjects.result(flow));
    reviews = await read(streamNames.review, subjects.reviewRequested(flow));
    const total = Math.min(ids.size, results.length + reviews.length);
    bar.tick(total - shown);
    shown = total;
    if (total >= ids.size) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  bar.done(shown < ids.size ? `only ${shown} arrived in time; see .mesh/logs/` : undefined);
  return { results, reviews };
}
