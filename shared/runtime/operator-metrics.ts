import { watchConnection, type Bus } from "../bus/index.js";
import { compiledBuild } from "../telemetry/build-info.js";
import type { MeshMetrics } from "../telemetry/index.js";

/**
 * The figures an operator reads first about a process: which build it runs (mesh_build_info) and whether it holds
 * its broker connection (mesh_broker_connected, mesh_broker_reconnects_total).
 */
export function trackOperatorMetrics(bus: Bus, metrics: MeshMetrics, agent: string, version: string): void {
  metrics.mesh_build_info.set({ agent, version, commit: compiledBuild?.commit ?? "source", node: process.versions.node }, 1);
  metrics.mesh_broker_connected.set({ agent }, 1);
  metrics.mesh_broker_reconnects_total.inc({ agent }, 0);
  watchConnection(bus, (event) => {
    metrics.mesh_broker_connected.set({ agent }, event.kind === "reconnected" ? 1 : 0);
    if (event.kind === "reconnected") metrics.mesh_broker_reconnects_total.inc({ agent });
  });
}
