import { follow } from "../../shared/bus/index.js";
import { parseTraceparent } from "../../shared/telemetry/index.js";
import { connectCli } from "../connect.js";

/** `mesh tail <subject>`: prints each message on a subject (wildcards allowed) until Ctrl-C. */
export async function tailCommand(subject: string, opts: { json?: boolean } = {}): Promise<number> {
  const bus = await connectCli("tail");
  process.stderr.write(`following ${subject} (Ctrl-C to stop)\n`);
  const sub = follow(bus, subject, (m) => {
    const text = Buffer.from(m.data).toString("utf8");
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ subject: m.subject, headers: m.headers, body: safeJson(text) })}\n`);
      return;
    }
    const trace = parseTraceparent(m.headers.traceparent)?.traceId ?? "-";
    process.stdout.write(`${new Date().toISOString()} ${m.subject} trace=${trace} ${text.length > 400 ? `${text.slice(0, 400)}…` : text}\n`);
  });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  sub.unsubscribe();
  await bus.close();
  return 0;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
