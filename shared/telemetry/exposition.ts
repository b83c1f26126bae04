/** One sample of Prometheus text exposition: `name{label="v",...} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses /metrics text (one agent's or several concatenated) for reports such as `mesh cost`. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    if (!raw || raw.startsWith("#")) continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(label)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, "$1");
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of a metric's samples grouped by one label (e.g. flow). */
export function sumBy(samples: readonly Sample[], name: string, by: string, where: Readonly<Record<string, string>> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name || Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
    const key = s.labels[by] ?? "unknown";
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}
