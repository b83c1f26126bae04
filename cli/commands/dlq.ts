import { readFileSync } from "node:fs";
import { decodeBody, deadLetterSchema, deleteStoredMessage, readStream, storedMessage, streamNames, subjects, type Bus, type DeadLetter } from "../../shared/bus/index.js";
import type { DataKeys } from "../../policy/pii/data-keys.js";
import { openLetterBody } from "../../shared/runtime/personal-data.js";
import { createEnvelope, decodeUtf8, parseJsonBody, personalDataClass, sha256Hex } from "../../shared/envelope/index.js";
import { MeshError, SchemaError } from "../../shared/errors/index.js";
import { connectCli } from "../connect.js";
import { cliDataKeys } from "../local-state.js";
import { connectOperator, type Operator } from "../operator.js";
import { progress } from "../progress.js";
import { report, reportEach } from "../report.js";

interface StoredLetter {
  readonly seq: number;
  readonly letter: DeadLetter;
}

async function letters(bus: Bus, flow?: string): Promise<StoredLetter[]> {
  const msgs = await readStream(bus, streamNames.dlq, flow ? { filterSubject: subjects.dlq(flow) } : {});
  return msgs.map((m) => ({ seq: m.seq, letter: deadLetterSchema.parse(parseJsonBody(m.data, "dead letter")) }));
}

async function letterAt(bus: Bus, seq: number): Promise<DeadLetter> {
  const stored = await storedMessage(bus, streamNames.dlq, seq);
  if (!stored) throw new MeshError("E_CONFIG", `the dead-letter queue holds no letter ${seq} (mesh dlq ls lists them)`);
  return deadLetterSchema.parse(parseJsonBody(stored.data, "dead letter"));
}

interface Original {
  readonly subject: string;
  readonly data: Uint8Array;
}

/**
 * A letter's original message, body and exact subject. Sealed bodies (raw inbound events) are opened with the data
 * keys, as an operator data.read effect (audited); bodies the letter does not carry (too large, or written by an
 * agent that may not read the stream) are read back from their source stream.
 */
function letterOpener(operator: Operator, command: string): (seq: number, letter: DeadLetter) => Promise<Original> {
  let keys: DataKeys | undefined;
  return async (seq, letter) => {
    const opened =
      letter.body.encoding === "sealed"
        ? await operator.perform({
            action: "data.read",
            principal: operator.principal,
            resource: { subject: subjects.dlq(letter.flow), dataClass: personalDataClass },
            facts: {},
            region: operator.region,
            auditDetail: { person: operator.person, command, letter: seq },
            run: async () => openLetterBody((keys ??= cliDataKeys()), letter),
          })
        : undefined;
    const inline = decodeBody(letter.body) ?? opened;
    if (inline) return { subject: letter.subject, data: inline };
    const stored = await storedMessage(operator.bus, letter.stream, letter.streamSeq);
    if (!stored) throw new MeshError("E_CONFIG", `letter ${seq} carries no body and ${letter.stream} no longer holds seq ${letter.streamSeq} (older than the stream's retention?)`);
    return { subject: stored.subject, data: stored.data };
  };
}

/**
 * A raw inbound event is checked as ingest checks it (at the default size limit) before it goes back: republished
 * unchanged, bad input would only come back as a new letter. Task letters carry an envelope that was valid.
 */
function stillRefused(letter: DeadLetter, data: Uint8Array): string | undefined {
  if (letter.stream !== streamNames.in) return undefined;
  try {
    createEnvelope(letter.flow, data, { traceparent: letter.traceparent ?? "" });
    return undefined;
  } catch (err) {
    if (err instanceof SchemaError) return err.message;
    throw err;
  }
}

/** Republishes to the original subject, then removes the letter: two operator effects, decided and audited. */
async function republish(operator: Operator, seq: number, letter: DeadLetter, to: Original, msgId: string, detail: Readonly<Record<string, unknown>> = {}) {
  const published = await operator.publish(to.subject, to.data, msgId, letter.traceparent ? { traceparent: letter.traceparent } : {}, detail);
  await operator.perform({
    action: "data.write",
    principal: operator.principal,
    resource: { subject: subjects.dlq(letter.flow) },
    facts: {},
    region: operator.region,
    auditDetail: { person: operator.person, command: "dlq", removed: seq, ...detail },
    run: () => deleteStoredMessage(operator.bus, streamNames.dlq, seq),
  });
  return published;
}

/** `mesh dlq show <seq> [--json]`: the letter with its reason and its original body (opened when sealed). */
export async function dlqShow(seq: number, opts: { json?: boolean } = {}): Promise<number> {
  const operator = await connectOperator("dlq show");
  try {
    const letter = await letterAt(operator.bus, seq);
    const original = await letterOpener(operator, "dlq show")(seq, letter);
    const { text, invalidAt } = decodeUtf8(original.data);
    const body = invalidAt === undefined ? { encoding: "utf8", text } : { encoding: "base64", data: Buffer.from(original.data).toString("base64"), invalidUtf8At: invalidAt };
    const { body: _held, headers: _headers, ...about } = letter;
    const lines = () => [
      `letter ${seq}: ${letter.code} from ${letter.agent} after ${letter.attempts} attempt(s), ${letter.at}`,
      `reason:   ${letter.reason}`,
      `message:  ${original.subject} (${letter.stream} seq ${letter.streamSeq}), ${original.data.byteLength} bytes, sha256 ${sha256Hex(original.data)}`,
      ...(letter.envelopeId ? [`task:     ${letter.envelopeId}${letter.source ? ` (${letter.source.system} ${letter.source.id})` : ""}`] : []),
      body.encoding === "utf8" ? `body:\n${text}` : `body (not UTF-8 from byte ${invalidAt}, base64):\n${body.data}`,
    ];
    report(opts, { seq, ...about, original: { subject: original.subject, bytes: original.data.byteLength, sha256: sha256Hex(original.data), ...body } }, () => lines().join("\n"));
    return 0;
  } finally {
    await operator.close();
  }
}

/**
 * `mesh dlq edit <seq> --body <file>`: replaces a refused inbound event's body with a corrected one. The correction
 * is checked as ingest will check it, republished to the original subject and the letter removed, each an operator
 * effect whose audit record names the original letter and both bodies' digests (never their bytes).
 */
export async function dlqEdit(seq: number, file: string, opts: { json?: boolean } = {}): Promise<number> {
  const operator = await connectOperator("dlq edit");
  try {
    const letter = await letterAt(operator.bus, seq);
    if (letter.stream !== streamNames.in) {
      throw new MeshError("E_CONFIG", `letter ${seq} holds a task (${letter.stream}), whose envelope is immutable: replay it, or correct the task through review`);
    }
    const corrected = readFileSync(file === "-" ? 0 : file);
    const refused = stillRefused(letter, corrected);
    if (refused) {
      process.stderr.write(`the corrected body is refused as ingest would refuse it: ${refused}\nletter ${seq} stays in the DLQ\n`);
      report(opts, { letter: seq, corrected: false, refused });
      return 1;
    }
    const originalSha256 = letter.body.encoding === "sealed" || letter.body.encoding === "omitted" ? letter.body.sha256 : undefined;
    const correction = { correctionOf: { letter: seq, stream: letter.stream, streamSeq: letter.streamSeq, code: letter.code, ...(originalSha256 ? { sha256: originalSha256 } : {}) }, correctedSha256: sha256Hex(corrected) };
    const published = await republish(operator, seq, letter, { subject: letter.subject, data: corrected }, `correction:${streamNames.dlq}:${seq}`, correction);
    report(
      opts,
      { letter: seq, corrected: true, republished: { subject: letter.subject, stream: published.stream, seq: published.seq }, correctedSha256: correction.correctedSha256 },
      () => `letter ${seq} corrected: republished to ${letter.subject} (${published.stream} seq ${published.seq}); the letter is removed`,
    );
    return 0;
  } finally {
    await operator.close();
  }
}



/** `mesh dlq ls [--flow f] [--json]` */
export async function dlqList(opts: { flow?: string; json?: boolean }): Promise<number> {
  const bus = await connectCli("dlq");
  try {
    const all = await letters(bus, opts.flow);
    reportEach(
      opts,
      all.map((l) => ({ seq: l.seq, ...l.letter })),
      () => (all.length ? formatLetters(all, opts.flow) : "the dead-letter queue is empty"),
    );
    return 0;
  } finally {
    await bus.close();
  }
}

function formatLetters(all: readonly StoredLetter[], flow: string | undefined): string {
  const rows = all.map(({ seq, letter: l }) => {
    const reason = l.reason.length > 90 ? `${l.reason.slice(0, 90)}…` : l.reason;
    return `${String(seq).padEnd(7)}${l.flow.padEnd(10)}${l.code.padEnd(18)}${l.agent.padEnd(9)}${String(l.attempts).padEnd(6)}${reason}`;
  });
  const head = `${"SEQ".padEnd(7)}${"FLOW".padEnd(10)}${"CODE".padEnd(18)}${"AGENT".padEnd(9)}${"TRIES".padEnd(6)}REASON`;
  return [head, ...rows, `${all.length} dead letters. Fix the cause, then 'mesh dlq replay${flow ? ` --flow ${flow}` : ""}'.`].join("\n");
}

/**
 * `mesh dlq replay [--flow f] [--seq n]`: republishes each letter's original message to its original subject and
 * removes the letter once the republish is stored. A raw inbound event that ingest would refuse again stays, with
 * the reason and the way to correct it (`mesh dlq edit`).
 */
export async function dlqReplay(opts: { flow?: string; seq?: number; json?: boolean }): Promise<number> {
  const operator = await connectOperator("dlq");
  try {
    const chosen = (await letters(operator.bus, opts.flow)).filter((l) => opts.seq === undefined || l.seq === opts.seq);
    const replayed: number[] = [];
    const failed: { seq: number; error: string }[] = [];
    if (!chosen.length) {
      report(opts, { replayed, failed }, () => "nothing to replay");
      return 0;
    }
    const bar = progress("replaying", chosen.length);
    const open = letterOpener(operator, "dlq replay");
    for (const { seq, letter } of chosen) {
      try {
        const original = await open(seq, letter);
        const refused = stillRefused(letter, original.data);
        if (refused) throw new SchemaError(`ingest would refuse it again (${refused}); correct it with 'mesh dlq edit ${seq} --body <file>'`);
        await republish(operator, seq, letter, original, `replay:${streamNames.dlq}:${seq}`);
        replayed.push(seq);
      } catch (err) {
        failed.push({ seq, error: (err as Error).message });
        process.stderr.write(`\nletter ${seq}: ${(err as Error).message}\n`);
      }
      bar.tick();
    }
    bar.done(failed.length ? `${failed.length} could not be replayed and stay in the DLQ` : "all replayed");
    report(opts, { replayed, failed });
    return failed.length ? 1 : 0;
  } finally {
    await operator.close();
  }
}
