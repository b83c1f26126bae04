import type { Bus } from "./connection.js";
import { rawBus } from "./raw-bus.js";
import { flowOf, subjects } from "./subjects.js";
import { streamNames } from "./topology.js";

/**
 * Dead letters held now, per flow: MESH_DLQ's message count by subject, from stream info (no message is read).
 * A replayed letter is deleted from the stream, so the numbers fall as the operator works through them.
 */
export async function deadLetterDepths(bus: Bus): Promise<Map<string, number>> {
  const info = await rawBus(bus).jsm.streams.info(streamNames.dlq, { subjects_filter: subjects.allDlq() });
  const depths = new Map<string, number>();
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) depths.set(flowOf(subject), (depths.get(flowOf(subject)) ?? 0) + count);
  return depths;
}
