import { z } from "zod";
import { MeshError, describeIssues } from "../shared/errors/index.js";

/** One sample of an instant vector: its labels and its value. */
export interface VectorSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const answerSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("success"),
    data: z.object({
      resultType: z.literal("vector"),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
    }),
  }),
  z.object({ status: z.literal("error"), errorType: z.string(), error: z.string() }),
]);

/**
 * An instant PromQL query through Prometheus' HTTP API (`/api/v1/query`), evaluated at `at` (default: now). The
 * answer is parsed; a query Prometheus refuses, or an answer that is not an instant vector, is an error naming why.
 */
export async function instantQuery(baseUrl: string, promql: string, at?: Date): Promise<VectorSample[]> {
  const url = new URL("api/v1/query", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  const form = new URLSearchParams({ query: promql, ...(at ? { time: String(at.getTime() / 1000) } : {}) });
  const res = await fetch(url, { method: "POST", body: form }).catch((err: Error) => {
    throw new MeshError("E_CONFIG", `Prometheus at ${baseUrl}: ${err.message}`);
  });
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) throw new MeshError("E_CONFIG", `Prometheus at ${baseUrl} answered ${res.status} with no query result (${describeIssues(parsed.error.issues)})`);
  if (parsed.data.status === "error") throw new MeshError("E_CONFIG", `Prometheus refused ${promql}: ${parsed.data.errorType}: ${parsed.data.error}`);
  return parsed.data.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}
