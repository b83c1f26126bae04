import { parseJsonBody } from "../../shared/envelope/index.js";

/** A stored message's JSON body, or undefined when it is not JSON: for a zod parse that then says it is not the expected record. */
export function storedJson(data: Uint8Array): unknown {
  try {
    return parseJsonBody(data, "message");
  } catch {
    return undefined;
  }
}
