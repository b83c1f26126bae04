/**
 * NATS subject matching, compiled once per pattern. `*` matches exactly one token, `>` one or more
 * trailing tokens, and `{flow}` one token equal to the task's flow. A request subject may itself be
 * a subscription pattern: a request `>` is only covered by a pattern `>`, a request `*` by `*` or `>`.
 */
export interface SubjectPattern {
  readonly source: string;
  readonly usesFlow: boolean;
  /** `tokens` is the request subject already split on "."; `flow` is required when `usesFlow`. */
  matches(tokens: readonly string[], flow: string | undefined): boolean;
}

const STAR = 0;
const GT = 1;
const FLOW = 2;
type Token = string | typeof STAR | typeof GT | typeof FLOW;

export function compileSubjectPattern(source: string): SubjectPattern {
  const tokens: Token[] = source.split(".").map((t) => (t === "*" ? STAR : t === ">" ? GT : t === "{flow}" ? FLOW : t));
  const usesFlow = tokens.includes(FLOW);
  const last = tokens.length - 1;
  const tail = tokens[last] === GT;
  return {
    source,
    usesFlow,
    matches(subject, flow) {
      if (tail ? subject.length <= last : subject.length !== tokens.length) return false;
      for (let i = 0; i < tokens.length; i++) {
        const p = tokens[i];
        const s = subject[i] as string;
        if (p === GT) return true;
        if (s === ">") return false;
        if (p === STAR) continue;
        if (p === FLOW) {
          if (s !== flow) return false;
        } else if (p !== s) return false;
      }
      return true;
    },
  };
}

/** Substitutes `{flow}` for display, e.g. in an explain trace or the nats-server config. */
export function renderSubjectPattern(source: string, flow: string): string {
  return source.split(".").map((t) => (t === "{flow}" ? flow : t)).join(".");
}
