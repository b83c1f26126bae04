/**
 * Calls `onGone` once when process `pid` no longer exists. Polled, because Node gives a child no notice of its
 * parent's death: a parent that is SIGKILLed, or an npm that dies on SIGTERM without passing it on, would
 * otherwise leave its children running with nobody to stop them. Returns a function that stops watching.
 */
export function watchParent(pid: number, onGone: () => void, everyMs = 1000): () => void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      // EPERM: it exists but is not ours to signal, so it is still there.
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") return;
      clearInterval(timer);
      onGone();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
