#!/usr/bin/env node
// `mesh` (npm start, npm run mesh, npx mesh): the compiled CLI in dist/ when it is at least as new as every
// source, else the TypeScript sources through tsx, so an edit is never run stale. `node scripts/build.mjs`
// (and the setup step of npm start / npm test) compiles.
import { buildIsStale } from "../scripts/build.mjs";

if (!buildIsStale()) await import("../dist/mesh.js");
else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("./index.ts");
}
