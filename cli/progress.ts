/**
 * A progress line for long CLI work: a bar with count, rate and ETA on a terminal; on a pipe or in CI,
 * a plain line every 10% so logs stay readable.
 */
export interface Progress {
  tick(n?: number): void;
  done(summary?: string): void;
}

export function progress(label: string, total?: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let count = 0;
  let lastDraw = 0;
  let lastDecile = -1;
  const tty = Boolean(stream.isTTY);
  const line = () => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = count / secs;
    if (!total) return `${label} ${count} (${rate.toFixed(0)}/s)`;
    const frac = Math.min(1, count / total);
    const width = 30;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
    const eta = rate > 0 ? Math.ceil((total - count) / rate) : 0;
    return `${label} [${bar}] ${count}/${total} ${(frac * 100).toFixed(0)}% ${rate.toFixed(0)}/s ETA ${eta}s`;
  };
  return {
    tick(n = 1) {
      count += n;
      if (tty) {
        if (Date.now() - lastDraw > 80) {
          lastDraw = Date.now();
          stream.write(`\r${line()}\x1b[K`);
        }
      } else if (total) {
        const decile = Math.floor((count / total) * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          stream.write(`${line()}\n`);
        }
      }
    },
    done(summary) {
      stream.write(`${tty ? "\r" : ""}${line()}${summary ? ` — ${summary}` : ""}${tty ? "\x1b[K" : ""}\n`);
    },
  };
}
