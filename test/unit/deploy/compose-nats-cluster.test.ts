import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { findNatsServer, freePort } from "../../../cli/local-nats.js";
import { waitFor } from "../../helpers/wait.js";

/**
 * Runs the compose file's own NATS commands on loopback: each service's flags as written, with only the
 * host names and ports mapped to free local ones, so a typo in a flag or a route fails here, not in prod.
 */
const compose = parse(readFileSync(join(import.meta.dirname, "../../../deploy/compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, { command?: string[] }>;
};
const nodes = Object.keys(compose.services).filter((n) => /^nats-\d$/.test(n));

interface Node {
  name: string;
  client: number;
  cluster: number;
  http: number;
}

function localise(cmd: string[], self: Node, all: Node[], storeDir: string): string[] {
  const byName = new Map(all.map((n) => [n.name, n]));
  return [
    ...cmd.map((arg) => {
      const [flag, value = ""] = arg.split("=");
      switch (flag) {
        case "--store_dir":
          return `${flag}=${storeDir}`;
        case "--http_port":
          assert.equal(value, "8222", "the compose healthcheck probes 8222");
          return `${flag}=${self.http}`;
        case "--cluster":
          return `${flag}=nats://127.0.0.1:${self.cluster}`;
        case "--routes":
          return `${flag}=${value
            .split(",")
            .map((r) => {
              const host = /^nats:\/\/([^:]+):6222$/.exec(r)?.[1];
              const node = host ? byName.get(host) : undefined;
              assert.ok(node, `route ${r} names no NATS service`);
              return `nats://127.0.0.1:${node.cluster}`;
            })
            .join(",")}`;
        default:
          return arg;
      }
    }),
    "--addr=127.0.0.1",
    `--port=${self.client}`,
  ];
}

async function startCluster(t: TestContext): Promise<Node[]> {
  const bin = findNatsServer();
  const dir = mkdtempSync(join(tmpdir(), "mesh-cluster-"));
  const all: Node[] = [];
  for (const name of nodes) all.push({ name, client: await freePort(), cluster: await freePort(), http: await freePort() });
  const children = all.map((n) =>
    spawn(bin, localise(compose.services[n.name]!.command!, n, all, join(dir, n.name)), { stdio: "ignore" }),
  );
  t.after(async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null) return;
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  });
  return all;
}

const json = async (url: string) => {
  const res = await fetch(url).catch(() => undefined);
  return res?.ok ? ((await res.json()) as Record<string, any>) : undefined; // nats-server monitoring JSON
};

test("the compose NATS services form one JetStream cluster with an elected meta leader", { timeout: 90_000 }, async (t) => {
  assert.equal(nodes.length, 3);
  const cluster = await startCluster(t);
  const views = await waitFor(
    "three JetStream nodes agreeing on a meta leader",
    async () => {
      const jsz = await Promise.all(cluster.map((n) => json(`http://127.0.0.1:${n.http}/jsz`)));
      const leaders = new Set(jsz.map((j) => j?.meta_cluster?.leader));
      return jsz.every((j) => j?.meta_cluster?.cluster_size === 3) && leaders.size === 1 && !leaders.has(undefined) && jsz;
    },
    { timeoutMs: 60_000 },
  );
  assert.ok(nodes.includes(views[0]!.meta_cluster.leader), "the leader is one of the named servers");
  for (const n of cluster) {
    const res = await fetch(`http://127.0.0.1:${n.http}/healthz?js-enabled-only=true`);
    assert.equal(res.status, 200, `${n.name}: the compose healthcheck would fail`);
  }
});
