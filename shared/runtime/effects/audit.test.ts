import assert from "node:assert/strict";
import { test } from "node:test";
import { PolicyDeniedError, TransientError } from "../../errors/index.js";
import { audit } from "./audit.js";
import { countingEffect, policyOf, recordingAudit } from "../../../test/helpers/effect-fixtures.js";
import { pipeline } from "./pipeline.js";
import { policyDecision } from "./policy-decision.js";

const grants = policyOf([{ id: "triage-complete", effect: "permit", actions: ["task.complete"], principals: ["triage"], resources: { subjects: ["mesh.result.ticket"] } }]);

test("audit records a denied effect before it throws, with the deciding rules and the policy digest", async () => {
  const writer = recordingAudit();
  const effect = countingEffect({ resource: { subject: "mesh.result.invoice" } });
  await assert.rejects(pipeline(audit(writer), policyDecision(grants))(effect), PolicyDeniedError);
  assert.equal(writer.records.length, 1);
  assert.deepEqual(
    { ...writer.records[0], at: undefined },
    {
      ...writer.records[0],
      at: undefined,
      kind: "decision",
      action: "task.complete",
      effect: "deny",
      outcome: "refused",
      reasons: ["default-deny"],
      revision: 7,
      digest: writer.records[0]!.digest,
      taskId: "env_1",
      subject: "mesh.result.invoice",
    },
  );
});

test("audit records an allowed effect once, after it ran, with what the effect reports of its result", async () => {
  const writer = recordingAudit();
  let recordedBeforeRun = -1;
  const effect = countingEffect({
    async run() {
      recordedBeforeRun = writer.records.length;
      return "seq-42";
    },
    describe: (r) => ({ published: r }),
  });
  await pipeline(audit(writer), policyDecision(grants))(effect);
  assert.equal(recordedBeforeRun, 0);
  assert.equal(writer.records.length, 1);
  assert.equal(writer.records[0]!.outcome, "done");
  assert.deepEqual(writer.records[0]!.detail, { published: "seq-42" });
});

test("audit records an allowed effect that failed as failed, with its error code, and rethrows", async () => {
  const writer = recordingAudit();
  const effect = countingEffect({ run: () => Promise.reject(new TransientError("E_TOOL", "endpoint down")) });
  await assert.rejects(pipeline(audit(writer), policyDecision(grants))(effect), TransientError);
  assert.equal(writer.records[0]!.outcome, "failed");
  assert.deepEqual(writer.records[0]!.detail, { error: "E_TOOL" });
});

test("an effect whose audit record cannot be stored fails, so its message is not acknowledged", async () => {
  const effect = countingEffect();
  const broken = { append: () => Promise.reject(new TransientError("E_MODEL_ERROR", "audit stream unavailable")) };
  await assert.rejects(pipeline(audit(broken), policyDecision(grants))(effect), /audit stream unavailable/);
});

test("an effect of a delivery hands its record's storing to auditLater and returns without waiting for it", async () => {
  let store!: () => void;
  const pending = new Promise<void>((r) => (store = r));
  const handed: Promise<void>[] = [];
  const effect = countingEffect({ auditLater: (stored) => void handed.push(stored) });
  const result = await pipeline(audit({ append: () => pending }), policyDecision(grants))(effect);
  assert.equal(result, "published");
  assert.equal(handed.length, 1, "the delivery gets the record to wait for before its ack");
  store();
  await handed[0];
});

test("a refused effect of a delivery is still recorded before its error leaves the pipeline", async () => {
  const writer = recordingAudit();
  const handed: Promise<void>[] = [];
  const effect = countingEffect({ resource: { subject: "mesh.result.invoice" }, auditLater: (stored) => void handed.push(stored) });
  await assert.rejects(pipeline(audit(writer), policyDecision(grants))(effect), PolicyDeniedError);
  assert.equal(writer.records.length, 1);
  assert.equal(handed.length, 0);
});
