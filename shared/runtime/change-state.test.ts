import assert from "node:assert/strict";
import { test } from "node:test";
import { startNats } from "../../test/helpers/nats.js";
import { openStateStore } from "../bus/index.js";
import { changeState } from "./change-state.js";

test("changeState from replicas racing on one key loses no change (the loser of each race reads again), and leaves the key alone when asked", { timeout: 30_000 }, async (t) => {
  const nats = await startNats(t);
  const replicas = await Promise.all([0, 1, 2].map(async (i) => openStateStore(await nats.connect(`replica-${i}`), "mesh_state_test")));
  const increment = (n: unknown) => ((n as number | undefined) ?? 0) + 1;
  await Promise.all(replicas.flatMap((state) => Array.from({ length: 20 }, () => changeState(state, "count", increment))));
  assert.equal((await replicas[0]!.get("count"))?.value, 60);

  const left = await changeState(replicas[1]!, "count", () => undefined);
  assert.deepEqual(left, { written: false, value: undefined });
  assert.equal((await replicas[2]!.get("count"))?.value, 60);
});
