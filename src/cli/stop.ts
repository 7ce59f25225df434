/**
 * Waits for Ctrl-C (SIGINT) or a SIGTERM (`kill`, `timeout`, a process manager), so the caller
 * can close what it started: `netlify dev` runs in its own process group and would outlive us.
 */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
