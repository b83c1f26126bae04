export { detectPii, detectors, type Finding, type PiiEntity } from "./detectors.js";
export { luhnValid, ibanValid, spanishIdValid } from "./checksums.js";
export { redactText, scrubValue } from "./redact.js";
export { tokenize, detokenize, taskTokenKey, type TokenKey } from "./tokens.js";
export { piiLogOptions } from "./log-scrubber.js";
