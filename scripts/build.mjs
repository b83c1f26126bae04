#!/usr/bin/env node
// One build for every way the mesh runs compiled: `dist/mesh.js` (the CLI: `npm start`, `mesh`, `mesh up`) and
// `dist/agent.js` (one agent process: what `mesh up` spawns and the image runs). Plain JS so it runs before
// anything is compiled. npm packages stay external (resolved from node_modules at run time): bundling them would
// break pino's worker transports and the model runtimes, and buys little start-up time next to our own code.
//
//   node scripts/build.mjs            build when a source is newer than the build, else say it is fresh
//   node scripts/build.mjs --force    build regardless
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
export const distDir = join(root, "dist");
/** Written last: its mtime is the build's age, its content the build-info the binaries report. */
export const buildStamp = join(distDir, "build-info.json");
const sourceDirs = ["cli", "shared", "policy", "agents"];
const inputs = ["package.json", "package-lock.json", "scripts/build.mjs"];

function newestSourceMtime() {
  let newest = 0;
  const visit = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) visit(path);
      else if (/\.(ts|mjs)$/.test(e.name) && !e.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const d of sourceDirs) visit(join(root, d));
  for (const f of inputs) if (existsSync(join(root, f))) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  // A directory's mtime changes when a file is added or removed (a new agent folder, a deleted module).
  for (const d of readdirSync(join(root, "agents"), { withFileTypes: true })) if (d.isDirectory()) newest = Math.max(newest, statSync(join(root, "agents", d.name)).mtimeMs);
  return newest;
}

/** True when there is no build or a source, the lock file or this script changed after it. */
export function buildIsStale() {
  return !existsSync(buildStamp) || newestSourceMtime() > statSync(buildStamp).mtimeMs;
}

function gitCommit() {
  try {
    const head = readFileSync(join(root, ".git"), "utf8");
    // A worktree's .git is a file pointing at its git dir; a clone's is a directory (readFileSync throws).
    const gitDir = head.startsWith("gitdir:") ? head.slice(7).trim() : join(root, ".git");
    return resolveHead(gitDir);
  } catch {
    return existsSync(join(root, ".git", "HEAD")) ? resolveHead(join(root, ".git")) : "unknown";
  }
}

function resolveHead(gitDir) {
  const ref = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
  if (!ref.startsWith("ref:")) return ref.slice(0, 12);
  const name = ref.slice(4).trim();
  const common = existsSync(join(gitDir, "commondir")) ? join(gitDir, readFileSync(join(gitDir, "commondir"), "utf8").trim()) : gitDir;
  for (const dir of [gitDir, common]) if (existsSync(join(dir, name))) return readFileSync(join(dir, name), "utf8").trim().slice(0, 12);
  const packed = existsSync(join(common, "packed-refs")) ? readFileSync(join(common, "packed-refs"), "utf8") : "";
  return packed.split("\n").find((l) => l.endsWith(` ${name}`))?.slice(0, 12) ?? "unknown";
}

/**
 * Modules find their data files (policy document, data sets, the review UI, model artifacts) next to their own
 * source through import.meta.url. In a bundle that URL is the bundle's, so each module's import.meta.url is
 * rewritten to its source file's, relative to the bundle: the files stay where they are and the tree can move.
 * import.meta.dirname is left alone: it is where the running bundle is (the CLI finds agent.js beside itself).
 */
const sourceLocation = (outdir) => ({
  name: "source-location",
  setup(build) {
    build.onLoad({ filter: /\.(ts|mjs)$/, namespace: "file" }, (args) => {
      if (args.path.includes("node_modules")) return undefined;
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const rel = relative(outdir, args.path).split("\\").join("/");
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: args.path.endsWith(".ts") ? "ts" : "js" };
    });
  },
});

/** Compiles into `outdir` (default dist/, replaced whole); a test builds into a directory of its own. */
export async function build(outdir = distDir) {
  const { build: esbuild } = await import("esbuild");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const info = { version: pkg.version, commit: gitCommit(), builtAt: new Date().toISOString(), node: process.versions.node };
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await esbuild({
    absWorkingDir: root,
    entryPoints: { mesh: "cli/index.ts", agent: "shared/runtime/main.ts" },
    outdir,
    bundle: true,
    // Each `mesh` command and each agent is its own chunk, loaded when used: `mesh help` loads none of them.
    // Chunks sit beside the entries: the import.meta.url rewrite below is relative to dist/ itself.
    splitting: true,
    chunkNames: "[name]-[hash]",
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
    define: { MESH_BUILD_INFO: JSON.stringify(info) },
    plugins: [sourceLocation(outdir)],
  });
  writeFileSync(join(outdir, "build-info.json"), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/** Builds when stale; prints one line either way (the setup step's progress). */
export async function ensureBuilt(log = (line) => console.log(line)) {
  if (!buildIsStale()) return;
  const started = Date.now();
  log("setup: compiling the CLI and agent runtime (dist/)...");
  const info = await build();
  log(`setup: built ${info.version} (${info.commit}) in ${Date.now() - started} ms`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--force")) await build();
  else await ensureBuilt();
}
