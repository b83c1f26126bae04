import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { freePort } from "../../cli/local-nats.js";
import { which } from "../unit/deploy/tools.js";
import { waitFor } from "./wait.js";

export const prometheusBin = which("prometheus");
const rules = join(import.meta.dirname, "../../deploy/prometheus/rules");

export interface Prometheus {
  /** The base URL of its HTTP API. */
  readonly url: string;
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  get(path: string): Promise<any>; // Prometheus API payloads; the test reads the fields it asserts on
}

/** Real Prometheus on a free loopback port with a temp TSDB and the mesh's alert rules, scraping `targets` (name → port) every second. */
export async function startPrometheus(t: TestContext, targets: Record<string, number>): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-prom-"));
  const port = await freePort();
  const config = [
    "global: { scrape_interval: 1s, evaluation_interval: 1s }",
    `rule_files: ["${rules}/*.yml"]`,
    "scrape_configs:",
    "  - job_name: meshwork-agents",
    "    static_configs:",
    ...Object.entries(targets).map(([agent, p]) => `      - { targets: ["127.0.0.1:${p}"], labels: { agent: ${agent} } }`),
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), config);
  const child = spawn(
    prometheusBin!,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr = (stderr + String(c)).slice(-4000)));
  const exited = new Promise((r) => child.once("exit", r));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor("Prometheus to be ready", async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr}`);
    return fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
  }, { timeoutMs: 30_000 });
  const get = async (path: string) => {
    const body = (await (await fetch(`${base}${path}`)).json()) as { status: string; data: unknown; error?: string };
    assert.equal(body.status, "success", `${path}: ${body.error}`);
    return body.data;
  };
  return {
    url: base,
    get,
    async query(promql) {
      const data = (await get(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as { result: any[] };
      return data.result;
    },
  };
}

