/**
 * Prompt-injection heuristics for text bound for an LLM. Each rule has an id and a weight; the score
 * combines the weights as independent evidence (1 − Π(1 − w)), so one weak marker stays low and
 * several together climb towards 1. The policy decides what a score means (`contextAtLeast:
 * { screening.score: ... }`): flag it, or send the task to a human.
 */

export interface ScreeningRule {
  id: string;
  weight: number;
  pattern: RegExp;
}

export interface ScreeningResult {
  score: number;
  /** Ids of the rules that matched, in rule order. */
  rules: string[];
}

export const screeningRules: readonly ScreeningRule[] = [
  { id: "ignore-instructions", weight: 0.6, pattern: /\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|your|the)\b[^.\n]{0,30}\b(instructions?|prompts?|rules|directions|guidelines)\b/i },
  { id: "new-instructions", weight: 0.4, pattern: /\b(new|updated|real|actual)\s+(instructions?|task|system prompt)\s*:/i },
  { id: "reveal-system-prompt", weight: 0.6, pattern: /\b(reveal|show|print|repeat|output|tell me|leak)\b[^.\n]{0,40}\b(system prompt|hidden (instructions|prompt)|initial (instructions|prompt)|your (instructions|prompt|rules))\b/i },
  { id: "role-override", weight: 0.35, pattern: /\b(you are now|you are no longer|from now on,? you|pretend (to be|you are)|act as (an?|the) (unrestricted|different|new)|roleplay as)\b/i },
  { id: "chat-delimiters", weight: 0.5, pattern: /<\|(im_start|im_end|system|assistant|user)\|>|\[\/?INST\]|<<\/?SYS>>|^\s*(system|assistant)\s*:/im },
  { id: "jailbreak-terms", weight: 0.5, pattern: /\b(jailbreak|developer mode|DAN mode|do anything now|no restrictions|without (any )?restrictions)\b/i },
  { id: "policy-bypass", weight: 0.5, pattern: /\b(bypass|disable|turn off|circumvent)\b[^.\n]{0,30}\b(policy|policies|safety|filters?|guard(rails)?|restrictions?|moderation)\b/i },
  { id: "exfiltration", weight: 0.4, pattern: /\b(send|post|upload|forward|email|exfiltrate)\b[^.\n]{0,60}(https?:\/\/|\b(api[ _-]?keys?|passwords?|credentials|secrets?|tokens?)\b)/i },
  { id: "markdown-image-beacon", weight: 0.4, pattern: /!\[[^\]]*\]\(https?:\/\/[^)\s]*\?[^)\s]*=/i },
  { id: "invisible-characters", weight: 0.3, pattern: /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/ },
  { id: "encoded-payload", weight: 0.25, pattern: /[A-Za-z0-9+/]{80,}={0,2}/ },
];

/** Screens text; invisible characters are scored, then removed so they cannot split a keyword. */
export function screenPrompt(text: string, rules: readonly ScreeningRule[] = screeningRules): ScreeningResult {
  const visible = text.normalize("NFKC");
  const stripped = visible.replace(/[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g, "");
  const matched: string[] = [];
  let keep = 1;
  for (const rule of rules) {
    const target = rule.id === "invisible-characters" ? visible : stripped;
    if (rule.pattern.test(target)) {
      matched.push(rule.id);
      keep *= 1 - rule.weight;
    }
  }
  return { score: Math.round((1 - keep) * 1000) / 1000, rules: matched };
}
