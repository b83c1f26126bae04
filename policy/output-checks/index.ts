/** The policy document's list of promises a drafted reply must never make (`lists.forbidden_promises`). */
export const forbiddenPromisesList = "forbidden_promises";

/**
 * The forbidden promises a draft makes: each phrase of the list found in it as whole words, ignoring case, spacing
 * and apostrophe style. A draft that makes one is withheld, not rewritten: a promise cut out leaves a reply that
 * still reads as one.
 * @example promisesIn("We will refund you today", ["we will refund"]) // ["we will refund"]
 */
export function promisesIn(text: string, phrases: readonly string[]): string[] {
  const normal = normalise(text);
  return phrases.filter((p) => {
    const phrase = normalise(p);
    if (!phrase) return false;
    for (let at = normal.indexOf(phrase); at >= 0; at = normal.indexOf(phrase, at + 1)) {
      if (!isWordChar(normal[at - 1]) && !isWordChar(normal[at + phrase.length])) return true;
    }
    return false;
  });
}

function normalise(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/[’‘`]/g, "'").replace(/\s+/g, " ").trim();
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}
