// Renders a JSON-message stream (pull, push, load, import, build) as docker's pkg/jsonmessage does.
// On a terminal each id keeps one line, redrawn in place (cursor up to it, erase, bar, cursor back
// down); elsewhere only lines without a byte count are printed. An error message ends the stream.

import { formatGoDuration, humanSize } from './units.js';

/** One message of the stream, as the daemon writes it. */
export interface JSONMessage {
  status?: string;
  id?: string;
  from?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number; start?: number; units?: string; hidecounts?: boolean };
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
}

export interface TerminalOptions {
  /** Redraw progress lines in place (stdout is a terminal). */
  isTerminal: boolean;
  /** Terminal width: bars are drawn only when it is over 110 columns, as docker does. */
  width: number;
  /** Unix seconds; a parameter so tests can pin the ETA. */
  now?: () => number;
}

const ESC = '\x1b[';
const cursorUp = (n: number): string => (n > 0 ? `${ESC}${n}A` : '');
const cursorDown = (n: number): string => (n > 0 ? `${ESC}${n}B` : '');
const eraseLine = `${ESC}2K`;

/** JSONProgress.String(): "[====>     ]  1.2MB/3.4MB 5s" (bar only on wide terminals). */
export function progressString(p: NonNullable<JSONMessage['progressDetail']>, width: number, now: number): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
  let numbers = '';
  if (!p.hidecounts) {
    if (!p.units) numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
    else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  }
  let left = '';
  if (current > 0 && p.start && p.start > 0 && percentage < 50) {
    const elapsedNs = (now - p.start) * 1e9;
    const perEntry = Math.trunc(elapsedNs / current);
    const remaining = (total - current) * perEntry;
    left = ' ' + formatGoDuration(Math.round(remaining / 1e9) * 1e9);
  }
  return bar + numbers + left;
}

/** The error a message carries, worded as docker's CLI prints it. */
export function messageError(msg: JSONMessage): Error | undefined {
  if (msg.errorDetail === undefined && msg.error === undefined) return undefined;
  if (msg.errorDetail?.code === 401) return new Error('authentication is required');
  return new Error(msg.errorDetail?.message || msg.error || '');
}

/**
 * Writes the stream to `out`; throws the first error message in it. Returns every message seen
 * (callers read `aux` results such as a built image's ID from them).
 */
export async function renderJSONMessages(messages: AsyncIterable<JSONMessage>, out: NodeJS.WritableStream, opts: TerminalOptions): Promise<JSONMessage[]> {
  const seen: JSONMessage[] = [];
  // Line index of each id within the current block of progress lines.
  let ids = new Map<string, number>();
  const now = opts.now ?? (() => Date.now() / 1000);
  for await (const msg of messages) {
    seen.push(msg);
    if (msg.aux !== undefined) continue;
    let diff = 0;
    let text = '';
    const hasProgress = msg.progressDetail !== undefined;
    if (msg.id && (hasProgress || msg.progress)) {
      let line = ids.get(msg.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(msg.id, line);
        if (opts.isTerminal) text += '\n';
      }
      diff = ids.size - line;
      if (opts.isTerminal) text += cursorUp(diff);
    } else {
      // Anything else closes the block: later progress starts new lines below it.
      ids = new Map();
    }
    const err = messageError(msg);
    if (err) {
      out.write(text);
      throw err;
    }
    const bar = hasProgress ? progressString(msg.progressDetail!, opts.width, now()) : '';
    let endl = '';
    let skip = false;
    if (opts.isTerminal && msg.stream === undefined && hasProgress) {
      endl = '\r';
      text += eraseLine + endl;
    } else if (hasProgress && bar !== '') {
      skip = true; // byte counts are for terminals only
    }
    if (!skip) {
      if (msg.id) text += `${msg.id}: `;
      if (msg.from) text += `(from ${msg.from}) `;
      if (hasProgress && opts.isTerminal) text += `${msg.status ?? ''} ${bar}${endl}`;
      else if (msg.progress) text += `${msg.status ?? ''} ${msg.progress}${endl}`;
      else if (msg.stream !== undefined && msg.stream !== '') text += `${msg.stream}${endl}`;
      else text += `${msg.status ?? ''}${endl}\n`;
    }
    if (msg.id && opts.isTerminal) text += cursorDown(diff);
    out.write(text);
  }
  return seen;
}
