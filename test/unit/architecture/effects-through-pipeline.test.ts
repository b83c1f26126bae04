import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Calls that change the mesh: publishing, dead-lettering, pushing a policy, deleting or reconfiguring stored data. */
const effectFunctions = new Set(["publish", "publishDeadLetter", "pushPolicy"]);
const effectMethods = /(^|\.)(js|nc)\.publish$|\.streams\.(update|delete|purge|deleteMessage)$|\.consumers\.delete$/;

/** The pipeline itself, and the bus that implements the effects, are where these calls belong. */
const exempt = [/^shared\/bus\//, /^shared\/runtime\/effects\//, /^shared\/runtime\/audit-writer\.ts$/, /^policy\/distribution\//, /^test\//, /\.test\.ts$/];

/** Is `node` inside the `run` of an effect handed to `perform(...)` (or `x.perform(...)`)? */
function insidePerformRun(node: ts.Node, source: ts.SourceFile): boolean {
  for (let at: ts.Node | undefined = node; at; at = at.parent) {
    const isRun = (ts.isPropertyAssignment(at) || ts.isMethodDeclaration(at)) && at.name.getText(source) === "run";
    if (!isRun) continue;
    const literal = at.parent;
    const call = literal?.parent;
    if (literal && ts.isObjectLiteralExpression(literal) && call && ts.isCallExpression(call) && /(^|\.)perform$/.test(call.expression.getText(source))) return true;
  }
  return false;
}

/** Every effectful call in `text` that does not run as an effect of the pipeline, as "file:line call". */
export function effectsOutsidePipeline(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(source);
      const effectful = (ts.isIdentifier(node.expression) && effectFunctions.has(callee)) || effectMethods.test(callee);
      if (effectful && !insidePerformRun(node, source)) {
        found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1} ${callee}(...)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(): string[] {
  return ["agents", "cli", "shared", "policy"].flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(ts|mts)$/.test(e.name) && !e.parentPath.includes("node_modules"))
      .map((e) => relative(root, join(e.parentPath, e.name))),
  );
}

test("every publish, dead letter, policy push and stream change outside the bus runs as an effect of the pipeline", () => {
  const offenders = sourceFiles()
    .filter((f) => !exempt.some((re) => re.test(f)))
    .flatMap((f) => effectsOutsidePipeline(f, readFileSync(join(root, f), "utf8")));
  assert.deepEqual(offenders, [], "route these through perform({ ..., run }) so policy decides and audit records them");
});

test("the rule catches a planted publish that skips the pipeline, and passes the same publish inside an effect's run", () => {
  const planted = `import { publish } from "../shared/bus/index.js";\nexport async function sneak(bus) { await publish(bus, "mesh.result.invoice", {}, { msgId: "x" }); }\n`;
  assert.deepEqual(effectsOutsidePipeline("cli/sneak.ts", planted), ["cli/sneak.ts:2 publish(...)"]);
  const raw = `export async function sneak(bus) { await bus.js.publish("mesh.result.invoice"); await bus.jsm.streams.update("MESH_AUDIT", {}); }\n`;
  assert.equal(effectsOutsidePipeline("agents/x/index.ts", raw).length, 2);
  const governed = `export async function ok(op, bus) { await op.perform({ action: "event.emit", run: () => publish(bus, "s", {}, { msgId: "x" }) }); }\n`;
  assert.deepEqual(effectsOutsidePipeline("cli/ok.ts", governed), []);
});
