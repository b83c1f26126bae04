/**
 * The layer table of ARCHITECTURE.md as rules (test/unit/architecture/layer-rules.test.ts runs them, and proves
 * they refuse planted violations). Paths are relative to the repository root. Known exceptions are listed with
 * the reason (agentExceptions, and `pathNot` of cli-not-agent-internals); each is a debt to pay, not a licence to copy.
 */
const tests = "(^|/)test/|\\.test\\.ts$";
const lowLayers = "^shared/(envelope|errors|prng|datasets)/";

/** Agents' imports the layer table forbids, kept until fixed: where, the one layer each may reach, and why. */
const agentExceptions = [
  {
    from: "^agents/trainer/",
    own: "^agents/trainer/",
    allowed: "^shared/(models|datasets)/",
    why: "the trainer fits and evaluates the local classifier itself (shared/models, shared/datasets); the fix is a training capability in the runtime's context, not yet built.",
  },
  {
    from: "^agents/review/decision-forms\\.ts$",
    own: "^agents/review/",
    allowed: "^shared/datasets/",
    why: "the review form lists the BANKING77 intents a reviewer may pick (shared/datasets); the fix is the flow's label set served by the runtime.",
  },
  {
    from: "^agents/review/service\\.ts$",
    own: "^agents/review/",
    allowed: "^shared/telemetry/",
    why: "the review service types its metrics with MeshMetrics (a type-only import); the fix is one line, re-exporting the type from shared/runtime, left to the review agent's owners.",
  },
];

module.exports = {
  forbidden: [
    {
      name: "agent-imports-only-runtime",
      comment:
        "Agents import only shared/runtime and their own files: every effect goes through ctx, so policy and audit see it.",
      severity: "error",
      from: { path: "^agents/([^/]+)/", pathNot: [tests, ...agentExceptions.map((e) => e.from)] },
      to: { path: "^(agents|shared|policy|cli)/", pathNot: ["^agents/$1/", "^shared/runtime/"] },
    },
    // Each known exception is allowed its one extra layer and nothing more.
    ...agentExceptions.map((e) => ({
      name: "agent-imports-only-runtime",
      comment: `Known exception, narrowed: ${e.why}`,
      severity: "error",
      from: { path: e.from },
      to: { path: "^(agents|shared|policy|cli)/", pathNot: [e.own, "^shared/runtime/", e.allowed] },
    })),
    {
      name: "agent-no-client-libraries",
      comment:
        "No agent reaches the broker, a model, metrics or tracing by itself: NATS clients, model SDKs, prom-client and OpenTelemetry belong to the runtime's layers.",
      severity: "error",
      from: { path: "^agents/", pathNot: tests },
      // Resolved (node_modules/...) or not installed at all (the bare name): either way refused.
      to: { path: "(^|node_modules/)(nats|@nats-io/[^/]+|@langchain/[^/]+|langchain|openai|prom-client|@opentelemetry/[^/]+)(/|$)" },
    },
    {
      name: "only-bus-imports-nats",
      comment: "shared/bus is the only code that talks to NATS; everything else uses its typed operations.",
      severity: "error",
      from: {
        pathNot: [
          "^shared/bus/",
          // The benchmark's raw nats.js pipeline is the baseline the mesh is measured against, and test helpers read
          // the broker as an outside client would.
          "^test/(bench|helpers)/",
          // It names the package in the rule it checks.
          "^test/unit/architecture/",
        ],
      },
      to: { path: "node_modules/nats/" },
    },
    {
      name: "bus-handles-stay-in-bus",
      comment:
        "The NATS client handles behind a Bus (RawBus in shared/bus/connection.ts, reached through shared/bus/raw-bus.ts) belong to shared/bus: everything else holds a Bus and calls the bus's typed operations from shared/bus/index.ts.",
      severity: "error",
      from: {
        pathNot: [
          "^shared/bus/",
          // Tests read the broker as an outside client would (test/helpers/nats.ts hands them a RawBus).
          tests,
          // Known exception: the policy store watches its KV bucket's history; the fix is a typed policy-revision
          // store in shared/bus.
          "^policy/distribution/policy-store\\.ts$",
        ],
      },
      to: { path: "^shared/bus/(raw-bus|connection)\\.ts$" },
    },
    {
      name: "only-models-imports-langchain",
      comment: "shared/models is the only code that imports @langchain/*: every model call is routed, cached, metered.",
      severity: "error",
      from: { pathNot: ["^shared/models/", "^test/unit/architecture/"] },
      to: { path: "node_modules/@langchain/" },
    },
    {
      name: "cli-not-agent-internals",
      comment: "The CLI reaches agents through the runtime (load-agent) and the broker, never an agent's own modules.",
      severity: "error",
      from: {
        path: "^cli/",
        pathNot: [
          // Known exception: `mesh review` lists the queue with the review agent's item type and ordering; the fix is
          // moving them to a module both share (shared/runtime or a review-queue module of its own).
          "^cli/commands/review\\.ts$",
          "^cli/review/format-queue\\.ts$",
        ],
      },
      to: { path: "^agents/[^/]+/", pathNot: "^agents/[^/]+/index\\.ts$" },
    },
    {
      name: "shared-and-policy-not-agents-or-cli",
      comment: "The layers below never depend on the agents or the CLI built on them.",
      severity: "error",
      from: { path: "^(shared|policy)/", pathNot: tests },
      to: { path: "^(agents|cli)/" },
    },
    {
      name: "low-layers-stay-low",
      comment: "Envelope, errors, PRNG and data sets are leaves: no bus, runtime, models, telemetry or policy under them.",
      severity: "error",
      from: { path: lowLayers, pathNot: tests },
      to: { path: "^(shared/(bus|runtime|models|telemetry)|policy)/" },
    },
    {
      name: "bus-models-telemetry-below-runtime",
      comment: "The runtime composes bus, models and telemetry; none of them reaches back up into it.",
      severity: "error",
      from: { path: "^shared/(bus|models|telemetry)/", pathNot: tests },
      to: { path: "^shared/runtime/" },
    },
    {
      name: "policy-below-runtime",
      comment: "The policy library decides; the runtime enforces. Policy never imports the runtime.",
      severity: "error",
      from: { path: "^policy/", pathNot: tests },
      to: { path: "^shared/runtime/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist|\\.mesh)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};
