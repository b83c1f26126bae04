import assert from "node:assert/strict";
import { test } from "node:test";
import { defineAgent, MeshError } from "../../../shared/runtime/index.js";

const base = { name: "matcher", version: "1.0.0", consumes: { flow: "invoice", stage: "ingested" } } as const;

test("an agent that escalates without resume fails to start with an error naming it and the missing resume", () => {
  assert.throws(
    () => defineAgent({ ...base, escalates: true, async handle() {} }),
    (err: unknown) =>
      err instanceof MeshError && err.code === "E_CONFIG" && /matcher escalates to human review but declares no resume/.test(err.message),
  );
});

test("an agent that escalates and declares resume starts; one that never escalates needs no resume", () => {
  assert.doesNotThrow(() => defineAgent({ ...base, escalates: true, async handle() {}, async resume() {} }));
  assert.doesNotThrow(() => defineAgent({ ...base, async handle() {} }));
});
