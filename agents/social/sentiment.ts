import Sentiment from "sentiment";

/**
 * A mention's mood from the AFINN-165 lexicon (`sentiment`, MIT): the sum of its words' valences, per word
 * (`comparative`). A lexicon, not a model: local, instant and the same on every replica, which is what counting
 * a pile-on across replicas needs. Tone only: what a mention is about is the topic model's call.
 */
export type Mood = "negative" | "neutral" | "positive";

const afinn = new Sentiment();
/** Per-word valence beyond which a mention counts as negative or positive (AFINN words score -5..5). */
const moodThreshold = 0.1;

export function moodOf(text: string): { readonly mood: Mood; readonly score: number } {
  const { comparative } = afinn.analyze(text);
  const score = Number.isFinite(comparative) ? comparative : 0;
  return { mood: score <= -moodThreshold ? "negative" : score >= moodThreshold ? "positive" : "neutral", score };
}
