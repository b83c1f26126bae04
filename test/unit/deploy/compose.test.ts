import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const deploy = join(import.meta.dirname, "../../../deploy");
const agents = ["ingest", "extract", "invoice", "triage", "review", "trainer"];

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  stop_grace_period?: string;
  build?: { context: string; dockerfile: string };
  volumes?: string[];
}
const compose = parse(readFileSync(join(deploy, "compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
const flag = (s: Service, name: string) => s.command?.find((c) => c.startsWith(`--${name}`))?.split("=")[1];

test("NATS runs as a three-node JetStream cluster whose nodes route to each other", () => {
  const nodes = Object.keys(compose.services).filter((n) => /^nats-\d$/.test(n));
  assert.deepEqual(nodes, ["nats-1", "nats-2", "nats-3"]);
  for (const n of nodes) {
    const s = compose.services[n]!;
    assert.ok(s.command?.includes("--jetstream"), `${n} without JetStream`);
    assert.equal(flag(s, "server_name"), n, "JetStream clustering needs unique server names");
    assert.equal(flag(s, "cluster_name"), "meshwork");
    const routes = flag(s, "routes")!.split(",");
    for (const other of nodes) assert.ok(routes.includes(`nats://${other}:6222`), `${n} has no route to ${other}`);
    assert.ok(s.volumes?.some((v) => v.endsWith(":/data")) && flag(s, "store_dir") === "/data", `${n} loses its store`);
  }
});

test("each agent type is one service of the same image, picked by AGENT, reaching every NATS node", () => {
  for (const a of agents) {
    const s = compose.services[a];
    assert.ok(s, `no ${a} service`);
    assert.equal(s.environment?.AGENT, a);
    assert.deepEqual(s.environment?.NATS_URL?.split(","), ["nats-1", "nats-2", "nats-3"].map((n) => `nats://${n}:4222`));
    assert.equal(s.environment?.STREAM_REPLICAS, "3", "streams should keep a copy on every NATS node");
    assert.ok(Number(s.environment?.SHUTDOWN_GRACE_MS) / 1000 < parseInt(s.stop_grace_period ?? "10"), `${a}: drain outlives the stop grace`);
    assert.equal(s.build?.dockerfile, "deploy/Dockerfile");
    assert.ok(existsSync(join(deploy, s.build!.context, s.build!.dockerfile)));
  }
});

test("Prometheus gets the rules and scrapes exactly the agent services on their metrics port", () => {
  const prom = compose.services.prometheus!;
  assert.ok(prom.volumes?.includes("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"));
  assert.ok(prom.volumes?.includes("./prometheus/rules:/etc/prometheus/rules:ro"));
  const cfg = parse(readFileSync(join(deploy, "prometheus/prometheus.yml"), "utf8")) as {
    scrape_configs: { static_configs: { targets: string[]; labels: { agent: string } }[] }[];
  };
  const targets = cfg.scrape_configs.flatMap((j) => j.static_configs ?? []);
  assert.deepEqual(targets.flatMap((t) => t.targets).sort(), agents.map((a) => `${a}:9464`).sort());
  for (const t of targets) assert.equal(t.targets[0], `${t.labels.agent}:9464`);
});
