import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "../../..");
const dockerfile = readFileSync(join(root, "deploy/Dockerfile"), "utf8");
const dockerignore = readFileSync(join(root, "deploy/Dockerfile.dockerignore"), "utf8");

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped, split into stages. */
function stages(text: string): { from: string; name?: string; body: Instruction[] }[] {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const args = new Map<string, string>();
  const out: { from: string; name?: string; body: Instruction[] }[] = [];
  for (const line of lines) {
    const [, op = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const ins = { op: op.toUpperCase(), args: rest };
    if (ins.op === "ARG" && out.length === 0) {
      const [k, v = ""] = rest.split("=");
      args.set(k!, v);
    } else if (ins.op === "FROM") {
      const [image = "", , name] = rest.split(/\s+/);
      out.push({ from: image.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? ""), name, body: [] });
    } else {
      out.at(-1)?.body.push(ins);
    }
  }
  return out;
}

const all = stages(dockerfile);
const final = all.at(-1)!;
const finalOps = (op: string) => final.body.filter((i) => i.op === op);

test("the image is multi-stage on node:20-bookworm-slim", () => {
  assert.ok(all.length >= 2, "one stage only");
  for (const s of all) assert.equal(s.from, "node:20-bookworm-slim");
});

test("production dependencies are installed from the lock file in a build stage, never in the final one", () => {
  const build = all.slice(0, -1).flatMap((s) => s.body).filter((i) => i.op === "RUN");
  assert.ok(build.some((i) => /\bnpm ci\b.*--omit=dev/.test(i.args)), "no `npm ci --omit=dev` in a build stage");
  assert.ok(!/\bnpm (install|i)\b/.test(dockerfile), "`npm install` resolves outside the lock file");
  assert.deepEqual(finalOps("RUN").filter((i) => /\bnpm\b/.test(i.args)), [], "npm runs in the final stage");
  const modules = finalOps("COPY").filter((i) => /node_modules/.test(i.args));
  assert.ok(modules.length > 0 && modules.every((i) => /--from=/.test(i.args)), "node_modules must come from the build stage");
});

test("the final stage runs as a non-root user before its entrypoint", () => {
  const user = finalOps("USER").at(-1)?.args;
  assert.ok(user, "no USER in the final stage");
  assert.doesNotMatch(user, /^(root|0)(:|$)/);
  const order = final.body.map((i) => i.op);
  assert.ok(order.lastIndexOf("USER") < order.indexOf("ENTRYPOINT"));
});

test("AGENT picks the agent, /healthz is checked and the metrics port is exposed", () => {
  assert.ok(finalOps("ENV").some((i) => /\bAGENT=/.test(i.args)), "AGENT is not set in the final stage");
  assert.ok(
    finalOps("ENV").some((i) => /\bHTTP_HOST=0\.0\.0\.0\b/.test(i.args)),
    "the runtime listens on loopback unless HTTP_HOST says otherwise: probes and scrapes would fail",
  );
  assert.match(finalOps("ENTRYPOINT")[0]?.args ?? "", /"node", "dist\/agent.js"/);
  assert.match(finalOps("HEALTHCHECK")[0]?.args ?? "", /\/healthz/);
  assert.deepEqual(finalOps("EXPOSE").map((i) => i.args), ["9464"]);
});

test("the image runs the compiled runtime, built in a build stage by the same build as npm start", () => {
  const builds = all.slice(0, -1).flatMap((s) => s.body).filter((i) => i.op === "RUN" && /node scripts\/build\.mjs/.test(i.args));
  assert.equal(builds.length, 1, "one build stage runs scripts/build.mjs");
  assert.ok(finalOps("COPY").some((i) => /--from=build\b.*\/app\/dist/.test(i.args)), "dist/ comes from the build stage");
});

test("every path the image copies from the context passes the dockerignore", () => {
  const allowed = dockerignore
    .split("\n")
    .filter((l) => l.startsWith("!"))
    .map((l) => l.slice(1).replace(/\/\*\*$/, ""));
  assert.ok(/^\*\*$/m.test(dockerignore), "the ignore file should start from nothing");
  for (const copy of all.flatMap((s) => s.body).filter((i) => i.op === "COPY" && !/--from=/.test(i.args))) {
    const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith("--")).slice(0, -1);
    for (const src of sources) assert.ok(allowed.includes(src.replace(/\/$/, "")), `${src} is ignored by the build context`);
  }
});

/** Bare package imports of the runtime sources that the image copies (tests excluded). */
function runtimeImports(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (e === "node_modules") continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) {
        for (const m of readFileSync(p, "utf8").matchAll(/(?:^|\s)(?:import|export)[^"';]*?from\s+["']([^"'.][^"']*)["']|import\(\s*["']([^"'.][^"']*)["']\s*\)/gm)) {
          const spec = (m[1] ?? m[2])!;
          if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
          const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
          found.set(pkg, relative(root, p));
        }
      }
    }
  };
  for (const d of ["shared", "policy", "agents", "cli"]) walk(join(root, d));
  return found;
}

test("every package the copied sources import is a production dependency (npm ci --omit=dev keeps it)", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const imports = runtimeImports();
  assert.ok(imports.has("prom-client"), "the import scan found nothing");
  for (const [name, file] of imports) {
    assert.ok(name in pkg.dependencies, `${file} imports ${name}, which is not in dependencies`);
  }
});
