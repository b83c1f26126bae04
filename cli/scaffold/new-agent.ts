import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MeshError } from "../../shared/errors/index.js";

export interface NewAgentOptions {
  /** The repository to write into (the checkout `mesh` runs from). */
  readonly root: string;
  readonly name: string;
  /** The flow whose tasks it consumes; the generated test publishes that flow's sample events. */
  readonly flow: "invoice" | "ticket";
}

/** The stage a new agent emits when it has done its work: its own, so it adds no second result to the flow. */
export const doneStage = (name: string) => `${name}-done`;

/**
 * `mesh new agent <name>`: a working agent that consumes `mesh.task.<flow>.ingested` and emits its own stage, its
 * README, a test that runs it against a real broker, its grants in the policy document, and its deploy entries
 * (Kubernetes, compose, Prometheus). Returns the files written or changed. Refuses a name in use.
 */
export function scaffoldAgent(opts: NewAgentOptions): string[] {
  const { root, name, flow } = opts;
  if (!/^[a-z][a-z0-9-]{1,30}$/.test(name)) throw new MeshError("E_CONFIG", `agent name "${name}": lower-case letters, digits and -, 2 to 31 characters, starting with a letter`);
  const dir = join(root, "agents", name);
  if (existsSync(dir)) throw new MeshError("E_CONFIG", `agents/${name} already exists`);
  const policyPath = join(root, "policy", "documents", "mesh-policy.yaml");
  const policy = readFileSync(policyPath, "utf8");
  if (new RegExp(`^  ${name}:`, "m").test(policy)) throw new MeshError("E_CONFIG", `the policy document already names an agent ${name}`);

  const written: string[] = [];
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
    written.push(rel);
  };
  const edit = (rel: string, change: (text: string) => string) => {
    const path = join(root, rel);
    const before = readFileSync(path, "utf8");
    const after = change(before);
    if (after === before) throw new MeshError("E_CONFIG", `${rel} does not have the shape mesh new agent expects; add ${name} to it by hand`);
    writeFileSync(path, after);
    written.push(rel);
  };

  write(`agents/${name}/index.ts`, render("agent.ts.tmpl", name, flow));
  write(`agents/${name}/README.md`, render("README.md.tmpl", name, flow));
  write(`test/integration/agent-${name}.test.ts`, render("agent.test.ts.tmpl", name, flow));
  edit("policy/documents/mesh-policy.yaml", (text) => withGrants(text, name, flow));
  write(`deploy/k8s/agents/${name}/kustomization.yaml`, render("kustomization.yaml.tmpl", name, flow));
  edit("deploy/k8s/kustomization.yaml", (text) => text.replace(/(\n {2}- agents\/[a-z0-9-]+)(?![\s\S]*\n {2}- agents\/)/, `$1\n  - agents/${name}`));
  edit("deploy/compose.yaml", (text) => text.replace(/(\n {2}trainer:\n)/, `\n  ${name}:\n    <<: *agent\n    environment: { <<: *agent-env, AGENT: ${name} }$1`));
  edit("deploy/prometheus/prometheus.yml", (text) =>
    text.replace(/(\n( {6})- targets: \["trainer:9464"\]\n)/, `\n$2- targets: ["${name}:9464"]\n$2  labels: { agent: ${name} }$1`),
  );
  return written;
}

function withGrants(policy: string, name: string, flow: string): string {
  const agents = policy.replace(/(\nagents:\n(?: {2}[^\n]*\n| *#[^\n]*\n)*?)( {2}trainer:)/, `$1  ${name}: {}\n$2`);
  return `${agents.trimEnd()}

  # ---- ${name} ${"-".repeat(Math.max(4, 84 - name.length))}
  - id: ${name}-emit
    description: ${name} publishes its own stage and dead letters of ${flow} tasks
    effect: permit
    actions: [event.emit]
    principals: [${name}]
    resources: { subjects: ["mesh.task.${flow}.${doneStage(name)}", "mesh.dlq.${flow}"] }
`;
}

const templates = fileURLToPath(new URL("./templates/", import.meta.url));

/** A template under templates/ with {{name}}, {{flow}}, {{stage}} and {{sample}} filled in. */
function render(template: string, name: string, flow: string): string {
  // Each flow's sample events come from where the demo takes them.
  const sample =
    flow === "invoice"
      ? 'import { invoiceEvents } from "../../cli/demo/sample-invoices.js";\n\nconst event = invoiceEvents(1)[0]!;'
      : 'import { sampleTicketEvents } from "../../shared/datasets/index.js";\n\nconst event = sampleTicketEvents(1)[0]!.event;';
  const values: Record<string, string> = { name, flow, stage: doneStage(name), sample };
  return readFileSync(join(templates, template), "utf8").replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? "");
}
