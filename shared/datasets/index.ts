export { parseCsv, parseLabelledCsv, type CsvRecord, type LabelledText } from "./csv.js";
export { hashBucket, isEvalRow, foldOf } from "./split.js";
export { loadBanking77, splitBanking77, banking77Paths } from "./banking77.js";
export { sampleTicketEvents, type TicketEvent } from "./tickets.js";
