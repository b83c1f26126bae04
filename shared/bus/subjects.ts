/**
 * Every subject the mesh uses is built here; no other file spells one. Tokens are checked so a flow or
 * stage name can never inject a wildcard or an extra level into a subject.
 */
const token = /^[A-Za-z0-9_-]+$/;

function tok(kind: string, value: string): string {
  if (!token.test(value)) throw new Error(`${kind}: "${value}" is not a valid subject token (letters, digits, _ and - only)`);
  return value;
}

/** KV keys (see state-store.ts) may hold `=` and dots, never a wildcard or a space. */
function stateKeyToken(key: string): string {
  if (!/^[-_=a-zA-Z0-9]+(\.[-_=a-zA-Z0-9]+)*$/.test(key)) throw new Error(`state key "${key}": use letters, digits and - _ = . (dots between parts)`);
  return key;
}

export const subjects = {
  inbound: (flow: string) => `mesh.in.${tok("flow", flow)}`,
  /** The resource a document read is decided on (the bytes live in the document store, not on this subject). */
  document: (flow: string) => `mesh.document.${tok("flow", flow)}`,
  allInbound: () => "mesh.in.>",
  task: (flow: string, stage: string) => `mesh.task.${tok("flow", flow)}.${tok("stage", stage)}`,
  /** Every stage of one flow's tasks. */
  tasksOfFlow: (flow: string) => `mesh.task.${tok("flow", flow)}.*`,
  result: (flow: string) => `mesh.result.${tok("flow", flow)}`,
  reviewRequested: (flow: string) => `mesh.review.${tok("flow", flow)}.requested`,
  allReviewRequests: () => "mesh.review.*.requested",
  reviewDecided: (flow: string) => `mesh.review.${tok("flow", flow)}.decided`,
  label: (flow: string) => `mesh.label.${tok("flow", flow)}`,
  allLabels: () => "mesh.label.*",
  correction: (flow: string) => `mesh.correction.${tok("flow", flow)}`,
  dlq: (flow: string) => `mesh.dlq.${tok("flow", flow)}`,
  allDlq: () => "mesh.dlq.*",
  /** Request/reply: where one flow's task is (the ingest agent answers, as `mesh status` would). */
  status: (flow: string) => `mesh.status.${tok("flow", flow)}`,
  allStatus: () => "mesh.status.*",
  /**
   * One subject per task (or `mesh` for records about no task) and writer, so a task's trail is read by subject,
   * not by scan, and the broker lets each identity write only under its own name (`auditOf`).
   */
  audit: (region: string, taskId: string | undefined, writer: string) =>
    `mesh.audit.${tok("region", region)}.${taskId ? tok("task", taskId) : "mesh"}.${tok("writer", writer)}`,
  auditOfRegion: (region: string) => `mesh.audit.${tok("region", region)}.>`,
  auditOfTask: (taskId: string) => `mesh.audit.*.${tok("task", taskId)}.*`,
  /** Records about no task: every instance's opening and checkpoints, policy changes, model loads. */
  auditOfMesh: () => "mesh.audit.*.mesh.*",
  /** Every audit subject one writer (an agent or the operator) may publish to. */
  auditOf: (writer: string) => `mesh.audit.*.*.${tok("writer", writer)}`,
  /** A key of a KV bucket, as policy and the broker see a write to it. */
  stateKey: (bucket: string, key: string) => `$KV.${tok("bucket", bucket)}.${stateKeyToken(key)}`,
  /** Names the policy document in decisions about changing it (it lives in KV mesh_policy; nothing is published here). */
  policy: () => "mesh.policy",
  /** Names a model in policy decisions about storing or promoting its versions (nothing is published here). */
  model: (name: string) => `mesh.model.${tok("model", name)}`,
  maxDeliveriesAdvisory: (stream: string, consumer: string) =>
    `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${tok("stream", stream)}.${tok("consumer", consumer)}`,
} as const;

/** The flow named by a mesh subject (`mesh.<kind>.<flow>...`). */
export function flowOf(subject: string): string {
  return subject.split(".")[2] ?? "unknown";
}
