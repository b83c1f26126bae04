import { keywordClassifier } from "./keyword-classifier.js";

/**
 * The social connector's topic model: what a public mention is about. `legal`, `safety` and `refund` are the
 * topics the policy document lists as high-risk (lists.social_high_risk): a reply to one waits for a human.
 * A mention naming words of several topics is unsure and goes to the large model, then a human.
 */
export const socialTopicModelName = "social-topic";

export const socialTopics: Readonly<Record<string, readonly string[]>> = {
  general: [],
  legal: ["lawyer", "attorney", "lawsuit", "sue", "suing", "court", "legal action", "gdpr", "regulator", "ombudsman", "class action"],
  safety: ["unsafe", "dangerous", "injured", "injury", "fire", "burned", "caught fire", "explode", "exploded", "smoke", "choking", "recall", "hazard"],
  refund: ["refund", "refunds", "money back", "chargeback", "reimburse", "reimbursement", "compensation", "charged twice", "overcharged"],
  complaint: ["broken", "late", "never arrived", "not working", "doesn't work", "cancel", "worst", "terrible", "awful", "scam", "useless"],
  praise: ["thanks", "thank you", "love", "great", "awesome", "amazing", "brilliant"],
};

export function socialTopicClassifier() {
  return keywordClassifier({
    name: socialTopicModelName,
    topics: socialTopics,
    fallback: "general",
    sure: 0.9,
    // Set by hand, not measured: one topic named is taken at its word; two named (at most a half each) never are.
    threshold: { target: 0.9, value: 0.75, coverage: 0, precision: 0, rows: 0 },
  });
}
