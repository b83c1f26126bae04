/**
 * Seeded person names inside ticket-like sentences. Half the names come from outside the shipped lexicon (names
 * common in Europe, Africa and Asia that the 1990 US Census lists lack), so recall measures the context rules too.
 */
import { mulberry32 } from "../../../shared/prng/index.js";

export interface SeededName {
  readonly text: string;
  /** The full name as written. */
  readonly name: string;
}

const given = ["Maria", "John", "Jennifer", "Michael", "Sarah", "David", "Linda", "Robert", "Emily", "Thomas", "Patricia", "Daniel"];
const surnames = ["Garcia", "Smith", "Johnson", "Brown", "Miller", "Wilson", "Anderson", "Taylor", "Martinez", "Thompson"];
const foreignGiven = ["Siobhan", "Wojciech", "Chiamaka", "Ngozi", "Hiroshi", "Anneliese", "Priyanka", "Oluwaseun", "Bartholomäus", "Zoë", "Thandiwe", "Giedrė"];
const foreignSurnames = ["Kowalczyk", "Okonkwo", "Nakamura", "Van der Berg", "Oyelaran", "Brzęczyszczykiewicz", "Haugland", "Mbeki", "Dubreuil", "Papadopoulou"];

const templates: readonly ((n: string) => string)[] = [
  (n) => `Hi, my name is ${n} and my card has not arrived yet.`,
  (n) => `Please ask Mr. ${n} to call me back about the refund.`,
  (n) => `I spoke to ${n} at the branch but the transfer is still pending.`,
  (n) => `Why was I charged twice? Regards, ${n}`,
  (n) => `Account holder: ${n}. The top-up failed again this morning.`,
  (n) => `My husband ${n} cannot see the payment in his app.`,
  (n) => `Dr. ${n} says the direct debit was never authorised. Thanks, the office`,
  (n) => `${n} here, the exchange rate looks wrong to me.`,
];

export function createNameCorpus(size: number, seed = 99): SeededName[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: size }, () => {
    const foreign = rnd() < 0.5;
    const name = rnd() < 0.8 ? `${pick(foreign ? foreignGiven : given)} ${pick(foreign ? foreignSurnames : surnames)}` : pick(foreign ? foreignGiven : given);
    return { text: pick(templates)(name), name };
  });
}

/** Capitalised sentences with places, brands, months and products but no person: what precision is measured on. */
export const nameFreeSentences: readonly string[] = [
  "I paid with Apple Pay in London last Monday and it was declined.",
  "My Visa card was charged in Euros while I was in Paris.",
  "Can I add money through Google Pay or only with a Mastercard?",
  "The transfer to Spain has been pending since January.",
  "Will my new card arrive before May?",
  "I withdrew cash in Sydney and the ATM kept my card.",
  "Does the app work in Jordan and Georgia?",
  "My salary from Amazon has not shown up this month.",
  "The exchange rate for US Dollars looks wrong on Friday.",
  "Is there a fee for top-ups by SEPA transfer from Germany?",
  "I ordered a card in Florence but the PIN never came.",
  "Why does the Android app say my identity is not verified?",
  "My payment to Netflix was reverted; please check it.",
  "I moved from Austin to Dallas, how do I change my address?",
  "The contactless limit in Chelsea shops seems lower than in Kent.",
  "Please Help, I Cannot Log In On My New Phone.",
  "Hello Support Team, my card was swallowed at the station.",
  "Good Morning, the Direct Debit from British Gas failed twice.",
  "What is the Monthly Limit for Cash Withdrawals?",
  "Thanks for the quick reply, the Card Works now.",
];
