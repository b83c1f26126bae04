import { deadLetterSchema, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { sampleTicketEvents } from "../../shared/datasets/index.js";
import { invoiceEvents } from "../demo/sample-invoices.js";
import { connectOperator, type Operator } from "../operator.js";
import { progress } from "../progress.js";
import { describeMesh, startMesh, untilSignal, type RunningMesh } from "./up.js";

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
  // Listening from the first moment: a signal at any point stops what has started, not only once the summary is out.
  const stopping = untilSignal();
  process.stderr.write("demo: starting nats-server and the agents (each agent's log in .mesh/logs/)...\n");
  const mesh = await startMesh({ ownNats: !process.env.NATS_URL });
  let operator: Operator | undefined;
  let why: string | undefined;
  void stopping.then((reason) => (why = reason));
  try {
    // The sample traffic is the operator's: decided and audited like any other publish.
    operator = await connectOperator("demo");
    process.stdout.write(`${describeMesh(mesh)}\n\n`);
    const traffic = runTraffic(mesh, operator, opts);
    // A signal mid-run wins the race; the traffic then fails against the stopped mesh, which is expected.
    traffic.catch(() => undefined);
    const signalled = await Promise.race([traffic.then(() => undefined), stopping]);
    if (signalled === undefined && !opts.exit) {
      process.stdout.write("The mesh keeps running: try 'npm run mesh -- tail \"mesh.>\"' or 'npm run mesh -- dlq ls' in another terminal. Ctrl-C stops it.\n");
      await stopping;
    }
    return 0;
  } finally {
    process.stderr.write(`demo: ${why ? `${why}, ` : ""}stopping, draining agents...\n`);
    await operator?.close();
    await mesh.stop();
  }
}

/** Sample invoices and tickets through the mesh, then a summary of what came out. */
async function runTraffic(mesh: RunningMesh, operator: Operator, opts: { invoices?: number; tickets?: number }): Promise<void> {
  const { bus } = operator;
  const run = Date.now().toString(36);
  const invoices = invoiceEvents(opts.invoices ?? 200, { system: `demo-erp-${run}` });
  const tickets = sampleTicketEvents(opts.tickets ?? 100, { system: `demo-helpdesk-${run}` });
  const bar = progress("demo: publishing invoices and tickets", invoices.length + tickets.length + 1);
  const send = async (flow: string, body: unknown, id: string) => {
    await operator.publish(subjects.inbound(flow), body, `demo:${run}:${id}`);
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
    // The letter keeps the raw body sealed; the source message's id says it was this run's.
    .filter((l) => l.headers["Nats-Msg-Id"]?.startsWith(`demo:${run}:`));

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
