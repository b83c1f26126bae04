import assert from "node:assert/strict";
import { test } from "node:test";
import { routeKey, thresholdsFor } from "../../../shared/models/routing-policy.js";
import { classifiers } from "./fixtures.js";

const small = classifiers["ticket-intent"]!;
const policy = { thresholds: {}, flows: { claims: { small: 0.99 } }, defaultLargeThreshold: 0.8 };

test("a flow's own bar wins over the router-wide one, which wins over the small model's calibrated threshold", () => {
  assert.deepEqual(thresholdsFor(policy, small, "ticket"), { small: small.threshold!.value, large: 0.8 });
  assert.deepEqual(thresholdsFor(policy, small, "claims"), { small: 0.99, large: 0.8 });
  assert.deepEqual(thresholdsFor({ ...policy, thresholds: { small: 0.5, large: 0.6 } }, small, "ticket"), { small: 0.5, large: 0.6 });
});

test("a small model without a calibrated threshold auto-accepts nothing", () => {
  assert.equal(thresholdsFor(policy, small.withCalibration(1, null), "ticket").small, 1.0001);
});

test("the route cache key changes with the model version, either bar, the endpoints' models, or the large-model calibration", () => {
  const bars = { small: 0.8, large: 0.8 };
  const keys = [
    routeKey("ticket-intent", small, bars, ["m1"]),
    routeKey("ticket-intent", small.withCalibration(small.temperature * 1.01, small.threshold), bars, ["m1"]),
    routeKey("ticket-intent", small, { ...bars, small: 0.81 }, ["m1"]),
    routeKey("ticket-intent", small, { ...bars, large: 0.81 }, ["m1"]),
    routeKey("ticket-intent", small, bars, ["m2"]),
    routeKey("ticket-intent", small, bars, ["m1"], "0123456789ab"),
    routeKey("ticket-intent", small, bars, ["m1"], "ba9876543210"),
  ];
  assert.equal(new Set(keys).size, keys.length);
});
