#!/usr/bin/env node
// `mesh` on the PATH (npm link / npx mesh): loads the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";

register();
await import("./index.ts");
