/**
 * One stage of the raw baseline, as its own process: what an agent must do at the least for the same guarantee
 * (pull up to its concurrency, publish the next message with a Nats-Msg-Id and the same headers, wait for the
 * stream's ack, ack the delivery), with no policy, audit, dedupe mark or envelope work. Settings come from the
 * environment the bench sets: NATS_URL, NATS_NKEY_SEED, STAGE_STREAM, STAGE_DURABLE, STAGE_OUT (subject),
 * STAGE_OUT_BYTES (body size of what it publishes, the mesh's own average), STAGE_CONCURRENCY.
 */
import { connect, nkeyAuthenticator, type JsMsg } from "nats";
import { pullSettings } from "../../shared/bus/pull-liveness.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`raw stage: ${name} is not set`);
  return value;
};
const durable = env("STAGE_DURABLE");
const out = env("STAGE_OUT");
const concurrency = Number(env("STAGE_CONCURRENCY"));
const body = new Uint8Array(Number(env("STAGE_OUT_BYTES"))).fill(0x61);

const nc = await connect({ servers: env("NATS_URL"), name: `raw-${durable}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(env("NATS_NKEY_SEED"))), noAsyncTraces: true });
const js = nc.jetstream();

async function settle(m: JsMsg): Promise<void> {
  const id = m.headers?.get("Mesh-Envelope") || m.headers?.get("Nats-Msg-Id") || String(m.seq);
  const headers = m.headers!;
  headers.set("Mesh-Envelope", id);
  headers.set("Mesh-Agent", durable);
  await js.publish(out, body, { msgID: `${id}:${durable}:out`, headers });
  m.ack();
}

const consumer = await js.consumers.get(env("STAGE_STREAM"), durable);
const messages = await consumer.consume({ max_messages: concurrency, ...pullSettings });
const running = new Set<Promise<void>>();
let slotFree: (() => void) | undefined;
process.once("SIGTERM", () => {
  messages.stop();
  void Promise.allSettled([...running]).then(() => nc.close()).then(() => process.exit(0));
});
process.stdout.write("ready\n");
for await (const m of messages) {
  while (running.size >= concurrency) await new Promise<void>((r) => (slotFree = r));
  const p: Promise<void> = settle(m)
    .catch((err: Error) => void process.stderr.write(`raw stage ${durable}: ${err.message}\n`))
    .finally(() => {
      running.delete(p);
      slotFree?.();
    });
  running.add(p);
}
