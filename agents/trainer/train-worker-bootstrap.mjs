// A worker thread's entry module cannot be TypeScript under Node 20 (it does not inherit `--import tsx`):
// register tsx in the worker, then load the TypeScript entry.
import { register } from "tsx/esm/api";

register();
await import("./train-worker.ts");
