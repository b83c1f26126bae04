import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";
import { subjects } from "../../shared/bus/index.js";
import { connectOperator } from "../operator.js";
import { progress } from "../progress.js";
import { report } from "../report.js";

/**
 * `mesh publish <flow> <file.jsonl|->`: one event per line to mesh.in.<flow>. Lines are sent as they are,
 * valid or not: judging them is the ingest agent's job, and a bad line must end up in the DLQ, not vanish here.
 * Each line is an operator effect: decided by the policy (event.emit on mesh.in.<flow>) and audited.
 */
export async function publishCommand(flow: string, file: string, opts: { inFlight?: number; json?: boolean } = {}): Promise<number> {
  const subject = subjects.inbound(flow);
  const lines = await readLines(file);
  const operator = await connectOperator("publish");
  const bar = progress(`publishing to ${subject}`, lines.length);
  const window = opts.inFlight ?? 256;
  const runId = randomUUID().slice(0, 8);
  const failed: { line: number; error: string }[] = [];
  try {
    for (let i = 0; i < lines.length; i += window) {
      await Promise.all(
        lines.slice(i, i + window).map(async (line, j) => {
          try {
            await operator.publish(subject, new TextEncoder().encode(line), `cli:${runId}:${i + j}`);
          } catch (err) {
            failed.push({ line: i + j + 1, error: (err as Error).message });
            process.stderr.write(`\nline ${i + j + 1}: ${(err as Error).message}\n`);
          }
          bar.tick();
        }),
      );
    }
  } finally {
    bar.done(failed.length ? `${failed.length} failed` : "all stored in JetStream");
    await operator.close();
  }
  failed.sort((a, b) => a.line - b.line);
  // The person already read the progress line (stderr); a program gets the figures on stdout.
  report(opts, { subject, lines: lines.length, stored: lines.length - failed.length, failed });
  return failed.length ? 1 : 0;
}

async function readLines(file: string): Promise<string[]> {
  const input = file === "-" ? process.stdin : createReadStream(file);
  const lines: string[] = [];
  for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line.trim()) lines.push(line);
  return lines;
}
