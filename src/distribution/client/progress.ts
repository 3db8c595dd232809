// The JSON-message progress stream of pull and push, as dockerd writes it: `{"status","id"}`
// lines, per-layer `progressDetail {current,total}` with its rendered bar, `aux` results and the
// final `errorDetail`. Byte progress is throttled per id so a fast transfer does not flood.

export interface JSONMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (msg: JSONMessage) => void;

/** Docker's units.HumanSize: decimal units, four significant digits. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** The bar dockerd puts in `progress`: `[=====>      ]  1.5MB/3MB`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = filled > 0 ? '='.repeat(filled - 1) + '>' + ' '.repeat(width - filled) : ' '.repeat(width);
  return `[${bar}]  ${humanSize(current)}/${humanSize(total)}`;
}

export class Progress {
  private last = new Map<string, number>();

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalMs = 100,
  ) {}

  status(status: string, id?: string): void {
    this.sink(id === undefined ? { status } : { status, progressDetail: {}, id });
  }

  /** A byte count; sent at most every interval per id, and always when complete. */
  bytes(id: string, status: string, current: number, total: number): void {
    const now = Date.now();
    const prev = this.last.get(`${id}\0${status}`) ?? 0;
    if (current < total && now - prev < this.intervalMs) return;
    this.last.set(`${id}\0${status}`, now);
    this.sink({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  }

  aux(value: unknown): void {
    this.sink({ progressDetail: {}, aux: value });
  }
}

/** Short id of a blob as Docker shows it: the first 12 hex digits. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
