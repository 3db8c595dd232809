// Leveled logging to stderr in the shape dockerd uses (time, level, message).
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

export class Logger {
  constructor(public level: Level = 'info') {}
  private write(l: Level, msg: string): void {
    if (ORDER[l] < ORDER[this.level]) return;
    process.stderr.write(`time="${new Date().toISOString()}" level=${l} msg=${JSON.stringify(msg)}\n`);
  }
  debug(m: string): void {
    this.write('debug', m);
  }
  info(m: string): void {
    this.write('info', m);
  }
  warn(m: string): void {
    this.write('warn', m);
  }
  error(m: string): void {
    this.write('error', m);
  }
}

export function parseLevel(s: string): Level {
  if (s in ORDER) return s as Level;
  throw new Error(`Unable to parse logging level: ${s}`);
}
