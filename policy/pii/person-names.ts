import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where a person's name was found (the name only: a title before it stays in the text). */
export interface NameSpan {
  start: number;
  end: number;
}

const dir = fileURLToPath(new URL("../../shared/datasets/person-names/", import.meta.url));
const lines = (file: string) => readFileSync(`${dir}${file}`, "utf8").split("\n").filter(Boolean).map((l) => l.toLowerCase());

let lexicon: { given: Set<string>; surnames: Set<string>; ambiguous: Set<string> } | undefined;
/** Loaded on first use: processes that never scan text (the CLI's short commands) do not pay for it. */
function words() {
  lexicon ??= { given: new Set(lines("given-names.txt")), surnames: new Set(lines("surnames.txt")), ambiguous: new Set(lines("ambiguous.txt")) };
  return lexicon;
}

/** A capitalised word standing alone (O'Neil, Smith-Jones, Zoë): letters only, not inside an identifier. */
const word = String.raw`\p{Lu}[\p{Ll}']*\p{Ll}(?:-\p{Lu}\p{Ll}+)?`;
const capitalised = new RegExp(`(?<![\\p{L}\\p{N}_.@/-])${word}(?![\\p{L}\\p{N}_@])`, "gu");
/** Up to three capitalised words, the name after a cue; a particle (van, de, da...) may sit between them. */
const nameAfter = String.raw`(${word}(?:\s+(?:(?:van|von|de|da|del|der|di|le|la|bin|al)\s+)?${word}){0,2})`;

const titles = "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Sra?|Sig(?:ra)?";

/** Cues after which the capitalised words are a name whatever they are: titles, introductions, relations, form labels. */
const strongCues = new RegExp(
  String.raw`(?:\b(?:[Mm]y|[Oo]ur|[Hh]is|[Hh]er)\s+(?:husband|wife|partner|son|daughter|mother|father|mum|mom|dad|brother|sister|colleague|friend|boss|manager|flatmate|roommate)\s+|\b(?:${titles})\.?\s+|\b(?:[Mm]y|[Tt]he)\s+name\s+is\s+|\b[Mm]y\s+name's\s+|\b(?:[Nn]ame|[Cc]ustomer|[Aa]ccount\s+holder|[Cc]ardholder|[Cc]ontact|[Pp]ayee|[Bb]eneficiary)\s*:\s*|\b(?:[Rr]egards|[Ss]incerely|[Cc]heers|[Tt]hanks|[Tt]hank\s+you|[Bb]est|[Yy]ours)\s*,\s*)`
    + nameAfter,
  "gu",
);
/** A sign-in: "Siobhan here, ..." at the start of a sentence, or anywhere when punctuation follows "here". */
const hereCue = new RegExp(String.raw`(?:(?:^|[.!?]\s+)` + nameAfter + String.raw`\s+here\b|(?<![\p{L}])` + nameAfter + String.raw`\s+here\s*[,:;!-])`, "gu");
/**
 * Weaker cues ("I'm", "this is", "spoke to"): a capitalised word after one is a name unless it is also an everyday
 * word ("I'm Happy" stays); recall first, since a name outside the lexicon has nothing else to give it away.
 */
const weakCues = new RegExp(String.raw`\b(?:I'm|I\s+am|[Tt]his\s+is|[Ii]t's|[Aa]sk|[Ss]poke\s+(?:to|with)|[Tt]alked\s+(?:to|with)|[Cc]all\s+me)\s+(?!(?:${titles})\b)` + nameAfter, "gu");
/** A lone given name right after one of these is more often a place or a month ("in Florence", "since January"). */
const locatives = new Set(["in", "at", "near", "via", "since", "until", "before", "after", "across", "into", "around", "during", "from", "to"]);

const lower = (s: string) => s.toLowerCase();

/**
 * Person names in free text. Recall first: a title, an introduction, a sign-off or a form label makes the
 * capitalised words after it a name; elsewhere a known given name (and a capitalised word after it) is one,
 * unless it is also an everyday word ("Will", "May") without a known surname beside it.
 */
export function findPersonNames(text: string): NameSpan[] {
  const { given, surnames, ambiguous } = words();
  const plain = (w: string) => !ambiguous.has(lower(w));
  const spans: NameSpan[] = [];
  const add = (start: number, end: number) => spans.push({ start, end });

  for (const m of text.matchAll(strongCues)) add(m.index + m[0].length - m[1]!.length, m.index + m[0].length);
  for (const m of text.matchAll(hereCue)) {
    const name = m[1] ?? m[2]!;
    const start = m.index + m[0].indexOf(name);
    add(start, start + name.length);
  }
  for (const m of text.matchAll(weakCues)) {
    const parts = m[1]!.split(/\s+/);
    if (parts.length > 1 || plain(parts[0]!)) add(m.index + m[0].length - m[1]!.length, m.index + m[0].length);
  }

  const caps = [...text.matchAll(capitalised)];
  const wordBefore = (at: number) => /([\p{L}]+)\s+$/u.exec(text.slice(Math.max(0, at - 24), at))?.[1]?.toLowerCase();
  let placeBefore = -1;
  for (let i = 0; i < caps.length; i++) {
    const w = caps[i]![0];
    if (!given.has(lower(w))) continue;
    // The next capitalised word counts as a surname when only spaces separate them.
    const next = caps[i + 1];
    const adjacent = next && /^\s+$/.test(text.slice(caps[i]!.index + w.length, next.index)) ? next : undefined;
    const surname = adjacent && (surnames.has(lower(adjacent[0])) || plain(adjacent[0])) ? adjacent : undefined;
    const before = wordBefore(caps[i]!.index);
    // "in Jordan and Georgia": a name joined to a place is a place too.
    const place = !surname && before !== undefined && (locatives.has(before) || ((before === "and" || before === "or") && placeBefore === i - 1));
    if (place) placeBefore = i;
    else if (plain(w)) {
      add(caps[i]!.index, surname ? surname.index + surname[0].length : caps[i]!.index + w.length);
    } else if (adjacent && surnames.has(lower(adjacent[0])) && plain(adjacent[0])) {
      add(caps[i]!.index, adjacent.index + adjacent[0].length);
    }
    if (surname) i++;
  }
  return merge(spans);
}

function merge(spans: NameSpan[]): NameSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: NameSpan[] = [];
  for (const s of spans) {
    const last = out.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}
