/**
 * CPU time and resident memory of a process as Linux accounts them (/proc), all threads included and counted from
 * the process's start: prom-client's process_cpu_seconds_total starts at its registration, after the module
 * loading that start-up costs, and a loader thread's work would not show in the process's own view of itself.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux architecture we run on). */
const ticksPerSecond = 100;

export interface ProcessUsage {
  readonly cpuSeconds: number;
  readonly rssMiB: number;
}

export function processUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces), counted from field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
  return { cpuSeconds, rssMiB: rssKiB / 1024 };
}
