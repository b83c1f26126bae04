import { randomBytes } from "node:crypto";
import { dataKeysJson, type DataKeys } from "../../policy/pii/data-keys.js";

/**
 * Data keys for one test run: two regions, eu with a retired key beside the active one (so rotation is always
 * exercised). Agents get them as MESH_DATA_KEYS; tests open sealed values with `testDataKeys`.
 */
const b64 = () => randomBytes(32).toString("base64");
export const testDataKeysJson = JSON.stringify({
  eu: { active: "k2", keys: { k1: b64(), k2: b64() } },
  us: { active: "k1", keys: { k1: b64() } },
});
export const testDataKeys: DataKeys = dataKeysJson.parse(testDataKeysJson);
