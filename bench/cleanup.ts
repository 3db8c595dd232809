// The benchmark's undo list: everything the runner starts or creates registers how to remove it,
// and the list runs once, in reverse, at the end, on failure, or on Ctrl-C / SIGTERM.
type Undo = { what: string; fn: () => Promise<void> };

const undos: Undo[] = [];
let running: Promise<void> | undefined;

export function onCleanup(what: string, fn: () => Promise<void>): void {
  undos.push({ what, fn });
}

export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (undos.length) {
      const u = undos.pop()!;
      try {
        await u.fn();
      } catch (err) {
        process.stderr.write(`clean-up of ${u.what} failed: ${(err as Error).message}\n`);
      }
    }
  })();
  return running;
}

/** Makes Ctrl-C and SIGTERM clean up before exiting; a second Ctrl-C exits at once. */
export function cleanupOnSignals(): void {
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write(`\n${sig}: cleaning up (again to exit at once)\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
