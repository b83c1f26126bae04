import { connectBus, deadLetterSchema, publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { invoiceEvents } from "../demo/sample-invoices.js";
import { progress } from "../progress.js";
import { describeMesh, startMesh, untilSignal } from "./up.js";

const decoder = new TextDecoder();

/**
 * `npm start`: a whole mesh on this machine (its own nats-server under .mesh/), sample traffic through it,
 * and a summary of what came out. Keeps running for exploration unless --exit.
 */
export async function demoCommand(opts: { exit?: boolean; invoices?: number }): Promise<number> {
  const mesh = await startMesh({ ownNats: !process.env.NATS_URL });
  const bus = await connectBus({ servers: mesh.natsUrl, name: "mesh-demo" });
  try {
    process.stdout.write(`${describeMesh(mesh)}\n\n`);
    const count = opts.invoices ?? 200;
    const runTag = Date.now().toString(36);
    const events = invoiceEvents(count, { system: `demo-${runTag}` });
    const bar = progress("demo: publishing invoices", count);
    await Promise.all(
      events.map(async (e, i) => {
        await publish(bus, subjects.inbound("invoice"), e, { msgId: `demo:${runTag}:${i}` });
        bar.tick();
      }),
    );
    // One malformed event, to show where bad input goes.
    await publish(bus, subjects.inbound("invoice"), { tenant: "acme", region: "eu", source: { system: `demo-${runTag}`, id: "broken" }, payload: { amount: "a lot" } }, { msgId: `demo:${runTag}:bad` });
    bar.done();
    const summary = await waitForOutcomes(bus, new Set(events.map((e) => envelopeId(e.source))), `demo-${runTag}`);
    process.stdout.write(summary);
    if (opts.exit) return 0;
    process.stdout.write("\nThe mesh keeps running: try 'npm run mesh -- tail \"mesh.>\"' or 'npm run mesh -- dlq ls' in another terminal. Ctrl-C stops it.\n");
    await untilSignal();
    return 0;
  } finally {
    await bus.close();
    await mesh.stop();
  }
}

interface Outcome {
  readonly envelopeId: string;
  readonly code?: string;
  readonly reason?: string;
}

async function waitForOutcomes(bus: Bus, ids: ReadonlySet<string>, runSystem: string): Promise<string> {
  const expected = ids.size;
  const read = async (stream: string, filterSubject: string) =>
    (await readStream(bus, stream, { filterSubject }))
      .map((m) => JSON.parse(decoder.decode(m.data)) as Outcome)
      .filter((o) => ids.has(o.envelopeId));
  const deadline = Date.now() + 60_000;
  let results: Outcome[] = [];
  let reviews: Outcome[] = [];
  const bar = progress("demo: waiting for outcomes", expected);
  let shown = 0;
  while (Date.now() < deadline) {
    results = await read(streamNames.result, subjects.result("invoice"));
    reviews = await read(streamNames.review, subjects.reviewRequested("invoice"));
    const total = Math.min(expected, results.length + reviews.length);
    bar.tick(total - shown);
    shown = total;
    if (results.length + reviews.length >= expected) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  bar.done();
  const letters = (await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("invoice") }))
    .map((m) => deadLetterSchema.parse(JSON.parse(decoder.decode(m.data))))
    .filter((l) => l.body.encoding === "utf8" && l.body.data.includes(runSystem));
  const lines = [
    "",
    `invoice flow: ${results.length} matched and completed, ${reviews.length} escalated to a human, ${letters.length} dead-lettered`,
    ...reviews.slice(0, 3).map((r) => `  escalated: ${r.code} — ${r.reason}`),
    ...letters.map((l) => `  dead letter: ${l.code} — ${l.reason}`),
    "",
  ];
  return lines.join("\n");
}
