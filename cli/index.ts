#!/usr/bin/env node
/** The `mesh` command: `npm run mesh -- <command>`, `npx mesh <command>`, or `node dist/mesh.js` once built. */
import { runCli } from "./run-cli.js";

process.exitCode = await runCli(process.argv.slice(2));
