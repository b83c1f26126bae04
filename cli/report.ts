/** What a reporting command prints: `data` as JSON for programs (--json), else the text a person reads. */
export function report(opts: { readonly json?: boolean }, data: unknown, text: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}
