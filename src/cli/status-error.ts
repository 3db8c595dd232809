// The CLI's terminal error: what to print on stderr and the process exit code, as docker/cli's
// cli.StatusError. Command code throws it; main.ts is the only place that prints and exits.

export class StatusError extends Error {
  /** message: printed to stderr when non-empty; code: the exit status (125 for CLI errors). */
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}
