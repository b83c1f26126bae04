/** Model tiers and routing: the only code in the mesh that imports @langchain/*. */
export {
  createRouter,
  routerConfigSchema,
  type Router,
  type RouterConfig,
  type RouterDeps,
  type ModelGate,
  type ModelGateRequest,
  type TaskRef,
  type Tier,
  type TriedTier,
  type ClassifyResult,
  type DraftResult,
  type FieldsResult,
} from "./router.js";
export { createLlmTier, endpointSchema, parseEndpoint, priceOf, type EndpointConfig, type LlmTier, type Usage, type DraftRequest, type FieldsRequest } from "./llm-tier.js";
export {
  trainLocalClassifier,
  trainComponents,
  defaultSvmWeight,
  loadLocalClassifier,
  saveLocalClassifier,
  fromArtifact,
  classifierFromBytes,
  type LocalClassifier,
  type Prediction,
  type LocalClassifierArtifact,
} from "./local-classifier.js";
export { argmax, calibrate, chooseThreshold, extrapolateThreshold, fitTemperature, scoreAt, scoreLogits, lowCoverageLine, type ThresholdChoice, type Scored, type ScoresAtSize } from "./calibration.js";
export { createModelCache, cacheKey, type ModelCache, type ModelCacheOptions } from "./cache.js";
export { createBreaker, breakerStateValue, type Breaker, type BreakerOptions, type BreakerState } from "./breaker.js";
export { createBatcher, type Batcher, type BatcherOptions } from "./batcher.js";
export { createCostMeter, type CostMeter } from "./cost-meter.js";
export { runEval, type EvalOptions, type EvalResult } from "./eval.js";
export { reliabilityPng, plotSize } from "./reliability-plot.js";
export {
  fitLlmCalibration,
  llmCalibrationBytes,
  llmCalibrationFromBytes,
  llmCalibrationModelName,
  type LlmCalibration,
  type LlmOutcome,
} from "./llm-calibration.js";
export { startStandIn, pinLabel, pinReply, type StandIn, type StandInBehaviour, type ReceivedRequest } from "./stand-in-server.js";
export { loadShippedClassifiers, triageModelName, triageArtifactPath } from "./shipped.js";
export { normaliseText } from "./features.js";
