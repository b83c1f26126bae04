import assert from "node:assert/strict";
import { test } from "node:test";
import { openStateStore } from "../../shared/bus/index.js";
import { createQueue } from "../../agents/review/queue.js";
import { startNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";
import { ticketRequest } from "../unit/review/fixtures.js";
import { Client, startTestService, tokens } from "../unit/review/harness.js";

type Row = { id: string; claimedBy: string | null };

test("two review replicas on one state bucket: an item claimed on one shows claimed on the other, and an item decided on one leaves the other's listing, and one forgotten leaves its index", { timeout: 60_000 }, async (t) => {
  const nats = await startNats(t);
  const bucket = "mesh_state_review";
  const stateA = await openStateStore(await nats.connect("replica-a"), bucket);
  const stateB = await openStateStore(await nats.connect("replica-b"), bucket);
  // The intake handler writes items through a queue of its own, as the agent's handle() does.
  const intake = createQueue(await openStateStore(await nats.connect("intake"), bucket), { slaMs: 3600_000 });
  const before = [ticketRequest("queued before the replicas started"), ticketRequest("also before")];
  for (const r of before) await intake.intake(r);

  const a = await startTestService(t, {}, stateA);
  const b = await startTestService(t, {}, stateB);
  const after = ticketRequest("queued while they run");
  await intake.intake(after);

  const alice = new Client(a.service.url);
  await alice.signIn(tokens.alice);
  const bob = new Client(b.service.url);
  await bob.signIn(tokens.bob);
  const listing = async (client: Client, qs = "") => (await client.request("GET", `/api/queue?${qs}`)).json as { items: Row[]; total: number };
  const ids = (rows: { items: Row[] }) => rows.items.map((r) => r.id).sort();
  const all = [...before, after].map((r) => r.envelopeId).sort();
  await waitFor("both replicas list the three items", async () => (await Promise.all([listing(alice), listing(bob)])).every((l) => l.total === 3 && ids(l).join() === all.join()));

  const [claimed, decided] = [before[0]!.envelopeId, before[1]!.envelopeId];
  assert.equal((await alice.request("POST", `/api/items/${claimed}/claim`)).status, 200);
  await waitFor("the claim made on replica A is in replica B's index", async () => {
    const [unassigned, mine] = await Promise.all([listing(bob, "assignee=unassigned"), listing(bob, "assignee=alice")]);
    return !ids(unassigned).includes(claimed) && ids(mine).join() === claimed;
  });
  const claimOnB = await bob.request("POST", `/api/items/${claimed}/claim`);
  assert.equal(claimOnB.status, 409, "replica B refuses a second claim");

  assert.equal((await alice.request("POST", `/api/items/${decided}/claim`)).status, 200);
  assert.equal((await alice.request("POST", `/api/items/${decided}/decision`, { decision: "approve" })).status, 200);
  await waitFor("the item decided on replica A leaves replica B's listing", async () => {
    const l = await listing(bob);
    return l.total === 2 && !ids(l).includes(decided);
  });
  assert.deepEqual(ids(await listing(alice)), [claimed, after.envelopeId].sort());
  assert.deepEqual(b.service.index.decidedBefore(Date.now() + 1), [decided], "replica B's index holds the decision for retention");
  await a.queue.forgetDecided([decided]);
  await waitFor("the item forgotten on replica A is gone from replica B's index", async () => b.service.index.decidedBefore(Date.now() + 1).length === 0);
});
