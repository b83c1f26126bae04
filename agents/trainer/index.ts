import { hostname } from "node:os";
import { defineAgent, MeshError, type Label, type LabelContext, type ServiceContext } from "../../shared/runtime/index.js";
import { loadShippedClassifiers } from "../../shared/models/index.js";
import { loadBanking77 } from "../../shared/datasets/index.js";
import { highRiskFloors } from "./intent-floors.js";
import { recalibrateLlm } from "./recalibrate-llm.js";
import { acquireLock, readProgress, recordLabel, recordTraining, releaseLock, type Progress } from "./progress.js";
import { artifactBytes } from "./retrain.js";
import { gateSettings, parseTrainerSettings, type TrainerSettings } from "./settings.js";
import { retrainInWorker } from "./worker.js";

function isDue(p: Progress, s: TrainerSettings, now: Date): boolean {
  if (p.newLabels >= s.TRAINER_MIN_LABELS) return true;
  return p.newLabels > 0 && now.getTime() - Date.parse(p.lastTrainedAt) >= s.TRAINER_INTERVAL_MS;
}

/** The version in service: the model store's current one, else the model this repository ships. */
async function championBytes(ctx: TrainingContext, name: string): Promise<Uint8Array | null> {
  const stored = await ctx.models.get(name);
  if (stored) return stored;
  const shipped = loadShippedClassifiers()[name];
  return shipped ? artifactBytes(shipped) : null;
}

type TrainingContext = Pick<LabelContext, "state" | "log"> &
  Pick<ServiceContext, "approversForCategory"> & { readonly models: NonNullable<ServiceContext["models"]> };

/** Flow whose completions policy guards per intent: the flow the trainer's labels come from. */
const labelFlow = "ticket";

async function train(ctx: TrainingContext, s: TrainerSettings, consumed: number): Promise<void> {
  const labels = (await ctx.state.values<Label>("label")).map((e) => e.value);
  const current = await ctx.models.current(s.TRAINER_MODEL);
  const started = Date.now();
  const outcome = await retrainInWorker({
    name: s.TRAINER_MODEL,
    target: s.TRAINER_TARGET_PRECISION,
    labels,
    champion: await championBytes(ctx, s.TRAINER_MODEL),
    gate: gateSettings(
      s,
      highRiskFloors(loadBanking77().categories, (intent) => ctx.approversForCategory(labelFlow, intent), s.TRAINER_TARGET_PRECISION),
    ),
  });
  const { verdict } = outcome;
  const figures = {
    champion: current?.version ?? verdict.champion?.version ?? null,
    threshold: outcome.threshold,
    reason: verdict.reason,
    failures: verdict.failures,
    challengerFigures: verdict.challenger,
    championFigures: verdict.champion,
    mcnemar: verdict.mcnemar,
    ...outcome.trainedOn,
    trainingMs: Date.now() - started,
  };
  const promote = verdict.promote && outcome.version !== current?.version;
  // Either way the runtime policy-checks and audits the decision with these figures; agents hot-load a promotion.
  if (promote) {
    await ctx.models.publish(s.TRAINER_MODEL, outcome.version, outcome.artifact, figures);
    ctx.log.info({ model: s.TRAINER_MODEL, challenger: outcome.version }, `promoted ${s.TRAINER_MODEL}@${outcome.version}: ${verdict.reason}`);
  } else {
    await ctx.models.refuse(s.TRAINER_MODEL, outcome.version, figures);
    ctx.log.warn({ model: s.TRAINER_MODEL, challenger: outcome.version }, `challenger not promoted: ${verdict.reason}`);
  }
  const llm = await recalibrateLlm(ctx.models, labels, s.TRAINER_TARGET_PRECISION);
  if (llm.changed)
    ctx.log.info({ calibration: llm.calibration.version, previous: llm.previous, models: Object.keys(llm.calibration.models) }, "large-model calibration refitted from reviewer outcomes");
  await recordTraining(ctx.state, consumed, verdict.reason, promote ? outcome.version : null, new Date());
}

/**
 * Learns from reviewers: keeps every label, and after enough new ones (or a quiet interval with some)
 * retrains the small model on the base data plus the labels, judges it against the model in service on a
 * held-out labelled set, and promotes it only through the promotion gate (promotion-gate.ts).
 */
export default defineAgent({
  name: "trainer",
  version: "1.0.0",
  consumes: { labels: labelFlow },
  concurrency: 1,
  state: true,
  async handle(label, ctx) {
    await recordLabel(ctx.state, label, new Date());
  },
  /**
   * Training runs on a timer, not in the label handler: a training outlasts any sensible ack wait, and the
   * interval rule must fire when no label arrives. One replica trains at a time (a lock in the state store).
   */
  async serve(svc) {
    const s = parseTrainerSettings(svc.env);
    const models = svc.models;
    if (!models) throw new MeshError("E_CONFIG", "trainer: the runtime gave no model store");
    const ctx: TrainingContext = { state: svc.state, log: svc.log, models, approversForCategory: svc.approversForCategory };
    const owner = `${hostname()}-${process.pid}`;
    let running: Promise<void> | undefined;
    // Said once per new count, not every check: an operator (and a test) can see that labels arrived and were weighed.
    let weighed: number | undefined;
    const check = async () => {
      const progress = await readProgress(svc.state);
      if (!progress) return;
      if (!isDue(progress, s, new Date())) {
        if (progress.newLabels !== weighed) svc.log.info({ newLabels: progress.newLabels, minLabels: s.TRAINER_MIN_LABELS }, `not due: ${progress.newLabels} new labels of ${s.TRAINER_MIN_LABELS}`);
        weighed = progress.newLabels;
        return;
      }
      if (!(await acquireLock(svc.state, owner, s.TRAINER_LOCK_TTL_MS, new Date()))) return;
      try {
        await train(ctx, s, progress.newLabels);
      } finally {
        await releaseLock(svc.state);
      }
    };
    const timer = setInterval(() => {
      running ??= check()
        .catch((err) => svc.log.error({ err }, "training check failed"))
        .finally(() => (running = undefined));
    }, s.TRAINER_CHECK_MS);
    return {
      async close() {
        clearInterval(timer);
        await running;
      },
    };
  },
});
