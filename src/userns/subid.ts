// /etc/subuid and /etc/subgid: parsing, the ranges that belong to a user or group, and the
// first free 65536-id range at or above 100000 that Docker gives a user it creates (`dockremap`).
// Pure: callers read and write the files.
import { InvalidParameter } from '../lib/errors.js';

export interface SubIdRange {
  /** User or group name (or numeric id, as subuid(5) allows) the range belongs to. */
  owner: string;
  start: number;
  length: number;
}

export const RANGE_START = 100000;
export const RANGE_LENGTH = 65536;

/** Lines are `owner:start:count`; blank lines and `#` comments are skipped, anything else is an error. */
export function parseSubIds(text: string, file = '/etc/subuid'): SubIdRange[] {
  const out: SubIdRange[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(':');
    const [owner, start, length] = parts;
    if (parts.length !== 3 || !owner || !/^\d+$/.test(start!) || !/^\d+$/.test(length!)) {
      throw new InvalidParameter(`invalid line ${i + 1} in ${file}: ${JSON.stringify(raw)} (want NAME:START:COUNT)`);
    }
    out.push({ owner, start: Number(start), length: Number(length) });
  });
  return out;
}

/** The ranges of a user or group, matched by name or numeric id, sorted by start (Docker's order of the mapping). */
export function rangesOf(ranges: SubIdRange[], name: string, id?: number): SubIdRange[] {
  return ranges.filter((r) => r.owner === name || (id !== undefined && r.owner === String(id))).sort((a, b) => a.start - b.start);
}

/** The lowest start >= RANGE_START where `length` ids overlap no existing range (of any owner). */
export function nextFreeRange(ranges: SubIdRange[], length = RANGE_LENGTH): number {
  let start = RANGE_START;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start + r.length <= start) continue; // entirely below the candidate
    if (r.start >= start + length) break; // the candidate fits before this one
    start = r.start + r.length;
  }
  return start;
}
