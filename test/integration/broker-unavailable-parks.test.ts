import assert from "node:assert/strict";
import { test } from "node:test";
import { AckPolicy } from "nats";
import { startConsumeLoop, type ConsumeLoopOptions, type DeliveryOutcome } from "../../shared/bus/consume.js";
import { isBrokerUnavailable } from "../../shared/bus/broker-unavailable.js";
import { SchemaError } from "../../shared/errors/index.js";
import { startNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

/** The error a JetStream publish gives while no stream leader answers (as during a cluster election). */
async function noLeaderError(bus: Awaited<ReturnType<Awaited<ReturnType<typeof startNats>>["connect"]>>): Promise<Error> {
  try {
    await bus.js.publish("nobody.stores.this", new Uint8Array(), { timeout: 1_000 });
  } catch (err) {
    return err as Error;
  }
  throw new Error("a publish with no stream behind it succeeded");
}

test("broker errors are told apart: no stream leader or no connection is 'unavailable' (also when wrapped); a JetStream 'no such stream' and bad input are not", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  const noLeader = await noLeaderError(bus);
  assert.ok(isBrokerUnavailable(noLeader), String(noLeader));
  assert.ok(isBrokerUnavailable(new Error("publishing the task failed", { cause: noLeader })));
  const notFound = await bus.jsm.streams.info("NO_SUCH_STREAM").then(() => undefined, (err: Error) => err);
  assert.ok(notFound, "stream info of a missing stream fails");
  assert.equal(isBrokerUnavailable(notFound), false, "a definite answer from the broker is not an outage");
  assert.equal(isBrokerUnavailable(new SchemaError("payload.amount: expected number")), false);
  assert.equal(isBrokerUnavailable(new Error("a bug")), false);
});

test("a task whose effects fail because the broker has no leader waits past max-deliver for bugs instead of being dead-lettered; a bug is dead-lettered after it", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  await bus.jsm.streams.add({ name: "PARKS", subjects: ["parks.>"] });
  const noLeader = await noLeaderError(bus);

  const run = async (durable: string, failWith: Error) => {
    await bus.jsm.consumers.add("PARKS", { durable_name: durable, filter_subject: `parks.${durable}`, ack_policy: AckPolicy.Explicit, max_deliver: 50, ack_wait: 5_000_000_000 });
    const outcomes: DeliveryOutcome[] = [];
    const letters: unknown[] = [];
    const opts: ConsumeLoopOptions = {
      stream: "PARKS",
      durable,
      agent: "test",
      concurrency: 1,
      maxDeliver: 2,
      maxParkedDeliveries: 50,
      ackWaitMs: 5_000,
      backoffBaseMs: 10,
      backoffMaxMs: 20,
      // Fails its first five deliveries, as effects do while a stream elects a new leader, then succeeds.
      async handle(d) {
        if (d.attempt <= 5) throw new Error("publishing the task failed", { cause: failWith });
      },
      async deadLetter(letter) {
        letters.push(letter);
      },
      onOutcome: (_d, o) => outcomes.push(o),
    };
    const loop = await startConsumeLoop(bus, opts);
    t.after(() => loop.stop(1_000));
    await bus.js.publish(`parks.${durable}`, new TextEncoder().encode("{}"));
    await waitFor(`${durable}: the task acked or dead-lettered`, async () => outcomes.some((o) => o.kind !== "retried"), { timeoutMs: 30_000 });
    return { outcomes, letters };
  };

  const outage = await run("outage", noLeader);
  assert.deepEqual(outage.outcomes.map((o) => o.kind), ["retried", "retried", "retried", "retried", "retried", "acked"]);
  assert.equal(outage.letters.length, 0);

  const bug = await run("bug", new Error("undefined is not a function"));
  assert.deepEqual(bug.outcomes.map((o) => o.kind), ["retried", "dead_lettered"], "the same loop does dead-letter what is not an outage");
  assert.equal(bug.letters.length, 1);
});
