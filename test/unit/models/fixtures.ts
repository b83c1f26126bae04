import type { TestContext } from "node:test";
import {
  createRouter,
  loadShippedClassifiers,
  pinLabel,
  startStandIn,
  type EndpointConfig,
  type ModelGate,
  type ModelGateRequest,
  type RouterConfig,
  type RouterDeps,
  type StandIn,
} from "../../../shared/models/index.js";
import { createMetrics } from "../../../shared/telemetry/index.js";

/** Loaded once per test file: the shipped artifact is what production routes with. */
export const classifiers = loadShippedClassifiers();

/** A ticket the shipped model is sure about (a BANKING77 training row). */
export const confidentTicket = "I am still waiting on my card?";
/**
 * Nonsense the small model cannot place (asked, not assumed: the first filler it leaves under its threshold);
 * the stand-in answers it from the pinned fixture label.
 */
export function unsureTicket(label = "card_arrival", confidence = 0.95): string {
  const model = classifiers["ticket-intent"]!;
  for (let i = 0; i < 1000; i++) {
    const text = `zqx vvv ${i} ${pinLabel(label, confidence)} plorp`;
    if (model.predict(text).confidence < model.threshold!.value) return text;
  }
  throw new Error(`no filler leaves the shipped small model unsure of a ${label} pin`);
}

export async function standIn(t: TestContext): Promise<StandIn> {
  const s = await startStandIn({ port: 0 });
  t.after(() => s.close());
  return s;
}

export function endpoint(s: StandIn, over: Partial<EndpointConfig> = {}): EndpointConfig {
  return {
    name: "stand-in-eu",
    baseUrl: s.url,
    apiKey: "test",
    model: "stand-in-large",
    region: "eu",
    trusted: false,
    priceUsdPer1kInputTokens: 0.5,
    priceUsdPer1kOutputTokens: 1.5,
    timeoutMs: 5_000,
    ...over,
  };
}

/** A gate that allows what `allow` says and records every request, so tests can assert policy was asked. */
export function recordingGate(allow: (req: ModelGateRequest) => boolean | string = () => true, redact = false) {
  const asked: ModelGateRequest[] = [];
  const gate: ModelGate = {
    async invoke(req, call) {
      asked.push(req);
      const verdict = allow(req);
      if (verdict === true) return { allowed: true, value: await call(redact) };
      return { allowed: false, reasons: ["test-deny"], message: typeof verdict === "string" ? verdict : "denied" };
    },
  };
  return { gate, asked };
}

export const task = (id = "t-1", region = "eu", flow = "ticket") => ({ id, flow, region });

export function router(
  config: RouterConfig,
  gate: ModelGate = recordingGate().gate,
  redact = (t: string) => t,
  extra: Pick<RouterDeps, "checkOutput" | "llmCalibration"> = {},
) {
  const metrics = createMetrics();
  return { router: createRouter(config, { classifiers, gate, redact, metrics, ...extra }), metrics };
}
