import { evaluateExtraction, type EvalModel, type EvalReport, type SliceReport } from "../../shared/documents/evaluate.js";
import { fieldNames } from "../../shared/documents/fields.js";
import { createLlmTier, startStandIn, type StandIn } from "../../shared/models/index.js";
import { progress } from "../progress.js";

export type EvalLlm = "off" | "stand-in";

/** What each --llm setting is, said plainly in the output: the stand-in's accuracy is the truth's, not a model's. */
const llmMeaning: Record<string, string> = {
  off: "off (the default: unsure fields go straight to a human)",
  "stand-in": "the stand-in, answering the unsure fields from the ground truth (an upper bound on what the tier settles, not a model's accuracy)",
};

/**
 * The LLM tier for --llm stand-in: the stand-in server in this process, pinned to the document's true fields, asked
 * through the same client and structured output as the agent's endpoint (no broker, so no policy gate or budget).
 */
async function standInModel(): Promise<{ model: EvalModel; server: StandIn }> {
  const server = await startStandIn({ port: 0 });
  const tier = createLlmTier({ name: "stand-in", baseUrl: server.url, model: "stand-in", region: "eu", apiKey: "not-needed", trusted: false, priceUsdPer1kInputTokens: 0, priceUsdPer1kOutputTokens: 0, timeoutMs: 15_000 });
  const model: EvalModel = {
    name: "stand-in",
    async answer(req, doc) {
      server.configure({ fields: { ...doc.truth.fields } });
      try {
        return (await tier.extractFields(req)).value;
      } catch {
        return null;
      }
    },
  };
  return { model, server };
}

const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : "-");

function table(report: EvalReport): string {
  const slices: [string, SliceReport][] = [["seen layouts", report.seen], ["held-out layouts", report.heldOut], ["all", report.all]];
  const rows = [
    `invoice extraction on the generated corpus: ${report.all.documents} documents, ${report.layouts} layouts, seed ${report.seed}`,
    `reviews that taught templates: ${report.reviews} (held-out layouts are never reviewed, so no template knows them)`,
    `LLM tier: ${llmMeaning[report.llm] ?? report.llm}`,
    "",
    `${"field".padEnd(16)}${slices.map(([n]) => n.padStart(18)).join("")}`,
    ...fieldNames.map((f) => `${f.padEnd(16)}${slices.map(([, s]) => pct(s.correct[f], s.documents).padStart(18)).join("")}`),
    "",
    `${"straight-through".padEnd(16)}${slices.map(([, s]) => pct(s.straightThrough, s.documents).padStart(18)).join("")}`,
    `${"wrong, completed".padEnd(16)}${slices.map(([, s]) => String(s.wrongAndCompleted).padStart(18)).join("")}`,
    `${"bad sums, done".padEnd(16)}${slices.map(([, s]) => String(s.inconsistentCompleted).padStart(18)).join("")}`,
    `${"LLM asked".padEnd(16)}${slices.map(([, s]) => String(s.llmAsked).padStart(18)).join("")}`,
    `${"LLM settled".padEnd(16)}${slices.map(([, s]) => String(s.llmSettled).padStart(18)).join("")}`,
    "",
    `${"layout".padEnd(16)}${"docs".padStart(6)}${"straight-through".padStart(18)}${"worst field".padStart(18)}`,
    ...Object.entries(report.byLayout).map(
      ([id, s]) => `${(id + (s.heldOut ? " *" : "")).padEnd(16)}${String(s.documents).padStart(6)}${pct(s.straightThrough, s.documents).padStart(18)}${pct(Math.min(...fieldNames.map((f) => s.correct[f])), s.documents).padStart(18)}`,
    ),
    "* held out",
  ];
  return rows.join("\n");
}

/**
 * `mesh eval extract [--documents 600] [--seed 1] [--json] [--llm off|stand-in]`: generates the seeded corpus (every
 * layout, two vendors each), runs extraction over it in arrival order with reviews teaching templates on the seen
 * layouts, and prints per-field accuracy, the straight-through rate and what the LLM tier settled, seen and held-out
 * apart. No broker: reads nothing, takes no effect.
 */
export async function evalExtractCommand(opts: { documents: number; seed: number; json: boolean; llm: EvalLlm }): Promise<number> {
  const bar = progress("extracting", opts.documents);
  const llm = opts.llm === "stand-in" ? await standInModel() : undefined;
  const report = await evaluateExtraction(opts.seed, opts.documents, () => bar.tick(), undefined, llm?.model).finally(() => llm?.server.close());
  bar.done(`${report.all.documents} documents`);
  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
  // A self-contradicting invoice that completed unattended is a defect, whatever the accuracy.
  return report.all.inconsistentCompleted === 0 ? 0 : 1;
}
