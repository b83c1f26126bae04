/**
 * What a reporting command prints: `data` as JSON for programs (--json), else the text a person reads. Without
 * `text`, the person's account is elsewhere (a progress line on stderr) and only --json prints.
 */
export function report(opts: { readonly json?: boolean }, data: unknown, text?: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (text) process.stdout.write(`${text()}\n`);
}

/** A list a program reads record by record (JSON Lines with --json, one object a line), else the text a person reads. */
export function reportEach(opts: { readonly json?: boolean }, items: readonly unknown[], text: () => string): void {
  process.stdout.write(opts.json ? items.map((item) => `${JSON.stringify(item)}\n`).join("") : `${text()}\n`);
}
