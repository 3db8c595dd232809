// Signal names and numbers as Docker accepts them: "SIGTERM", "TERM", "term", "15", "SIGRTMIN+3".
import { InvalidParameter } from '../lib/errors.js';

const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10,
  SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19,
  TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28,
  IO: 29, POLL: 29, PWR: 30, SYS: 31, RTMIN: 34, RTMAX: 64,
};

export function signalNumber(sig: string | number): number {
  if (typeof sig === 'number') return validNumber(sig, String(sig));
  const s = sig.trim();
  if (/^\d+$/.test(s)) return validNumber(Number(s), sig);
  let name = s.toUpperCase();
  if (name.startsWith('SIG')) name = name.slice(3);
  const rt = /^RTMIN\+(\d+)$/.exec(name) ?? /^RTMAX-(\d+)$/.exec(name);
  if (rt) {
    const n = name.startsWith('RTMIN') ? 34 + Number(rt[1]) : 64 - Number(rt[1]);
    return validNumber(n, sig);
  }
  const n = SIGNALS[name];
  if (n === undefined) throw new InvalidParameter(`Invalid signal: ${sig}`);
  return n;
}

function validNumber(n: number, input: string): number {
  if (n < 1 || n > 64) throw new InvalidParameter(`Invalid signal: ${input}`);
  return n;
}
