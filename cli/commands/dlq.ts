import { decodeBody, deadLetterSchema, readStream, streamNames, subjects, type Bus, type DeadLetter } from "../../shared/bus/index.js";
import type { DataKeys } from "../../policy/pii/data-keys.js";
import { openLetterBody } from "../../shared/runtime/personal-data.js";
import { personalDataClass } from "../../shared/envelope/index.js";
import { connectCli } from "../connect.js";
import { cliDataKeys } from "../local-state.js";
import { connectOperator } from "../operator.js";
import { progress } from "../progress.js";

interface StoredLetter {
  readonly seq: number;
  readonly letter: DeadLetter;
}

async function letters(bus: Bus, flow?: string): Promise<StoredLetter[]> {
  const msgs = await readStream(bus, streamNames.dlq, flow ? { filterSubject: subjects.dlq(flow) } : {});
  return msgs.map((m) => ({ seq: m.seq, letter: deadLetterSchema.parse(JSON.parse(Buffer.from(m.data).toString("utf8"))) }));
}

/** `mesh dlq ls [--flow f] [--json]` */
export async function dlqList(opts: { flow?: string; json?: boolean }): Promise<number> {
  const bus = await connectCli("dlq");
  try {
    const all = await letters(bus, opts.flow);
    if (opts.json) {
      for (const l of all) process.stdout.write(`${JSON.stringify({ seq: l.seq, ...l.letter })}\n`);
      return 0;
    }
    if (!all.length) {
      process.stdout.write("the dead-letter queue is empty\n");
      return 0;
    }
    process.stdout.write(`${"SEQ".padEnd(7)}${"FLOW".padEnd(10)}${"CODE".padEnd(18)}${"AGENT".padEnd(9)}${"TRIES".padEnd(6)}REASON\n`);
    for (const { seq, letter: l } of all) {
      const reason = l.reason.length > 90 ? `${l.reason.slice(0, 90)}…` : l.reason;
      process.stdout.write(`${String(seq).padEnd(7)}${l.flow.padEnd(10)}${l.code.padEnd(18)}${l.agent.padEnd(9)}${String(l.attempts).padEnd(6)}${reason}\n`);
    }
    process.stdout.write(`${all.length} dead letters. Fix the cause, then 'mesh dlq replay${opts.flow ? ` --flow ${opts.flow}` : ""}'.\n`);
    return 0;
  } finally {
    await bus.close();
  }
}

/**
 * `mesh dlq replay [--flow f] [--seq n]`: republishes each letter's original message to its original
 * subject and removes the letter once the republish is stored. Sealed bodies (raw inbound events) are opened
 * with the data keys; bodies the letter does not carry (too large, or written by an agent that may not read the
 * stream) are read back from their source stream. The republish and the removal are operator effects, decided
 * and audited.
 */
export async function dlqReplay(opts: { flow?: string; seq?: number }): Promise<number> {
  const operator = await connectOperator("dlq");
  const { bus } = operator;
  try {
    const chosen = (await letters(bus, opts.flow)).filter((l) => opts.seq === undefined || l.seq === opts.seq);
    if (!chosen.length) {
      process.stdout.write("nothing to replay\n");
      return 0;
    }
    const bar = progress("replaying", chosen.length);
    let failed = 0;
    let keys: DataKeys | undefined;
    for (const { seq, letter } of chosen) {
      try {
        // Opening a sealed body reads personal data: an operator effect like the others (data.read, audited).
        const opened =
          letter.body.encoding === "sealed"
            ? await operator.perform({
                action: "data.read",
                principal: operator.principal,
                resource: { subject: subjects.dlq(letter.flow), dataClass: personalDataClass },
                facts: {},
                region: operator.region,
                auditDetail: { person: operator.person, command: "dlq replay", letter: seq },
                run: async () => openLetterBody((keys ??= cliDataKeys()), letter),
              })
            : undefined;
        const inline = decodeBody(letter.body) ?? opened;
        // A letter without the body points at the stored message, which also names the exact subject.
        const stored = inline ? undefined : await bus.jsm.streams.getMessage(letter.stream, { seq: letter.streamSeq });
        await operator.publish(stored?.subject ?? letter.subject, inline ?? stored!.data, `replay:${streamNames.dlq}:${seq}`, letter.traceparent ? { traceparent: letter.traceparent } : {});
        await operator.perform({
          action: "data.write",
          principal: operator.principal,
          resource: { subject: subjects.dlq(letter.flow) },
          facts: {},
          region: operator.region,
          auditDetail: { person: operator.person, command: "dlq replay", removed: seq },
          run: () => bus.jsm.streams.deleteMessage(streamNames.dlq, seq),
        });
      } catch (err) {
        failed++;
        process.stderr.write(`\nletter ${seq}: ${(err as Error).message}\n`);
      }
      bar.tick();
    }
    bar.done(failed ? `${failed} could not be replayed and stay in the DLQ` : "all replayed");
    return failed ? 1 : 0;
  } finally {
    await operator.close();
  }
}
