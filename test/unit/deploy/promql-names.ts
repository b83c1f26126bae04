/**
 * The metric names a PromQL expression reads. Strings, label matchers, ranges and grouping clauses are
 * blanked first; what is left that is neither a function call, a keyword nor a number is a metric.
 * Grafana variables (`$flow`, `${flow}`, `$__rate_interval`) are blanked too.
 */
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"]);

export function promqlMetricNames(expr: string): Set<string> {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{[^}]*\}|\$\w+/g, " ");
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = s[m.index - 1] ?? " ";
    if (/[0-9.]/.test(before)) continue; // unit of a duration or exponent of a number
    if (s.slice(m.index + m[0].length).trimStart().startsWith("(")) continue;
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return names;
}

/** Grafana's `label_values(metric, label)` reads `metric`. */
export function grafanaQueryMetricNames(query: string): Set<string> {
  return promqlMetricNames(query.replace(/label_values\(\s*([^,()]+?)\s*,\s*\w+\s*\)/g, "$1"));
}
