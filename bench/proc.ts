// Process plumbing for the benchmark: a timed asynchronous spawn, and readers of /proc for the
// memory numbers (VmRSS of daemons, Pss of per-container monitors) and for finding processes.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';

export interface Command {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and measures wall time from spawn to exit. */
export function timed(c: Command, opts: { timeoutMs?: number } = {}): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(c.cmd, c.args, { env: c.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => (stderr += String(err)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? -1, stdout, stderr });
    });
  });
}

/** Like timed() but throws with the command's stderr when it fails. */
export async function must(c: Command, opts: { timeoutMs?: number } = {}): Promise<Timed> {
  const r = await timed(c, opts);
  if (r.code !== 0) throw new Error(`${c.cmd} ${c.args.join(' ')} exited with ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

/** Resident set size of one process in KiB (VmRSS), 0 when it is gone. */
export async function rssKiB(pid: number): Promise<number> {
  const s = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(s);
  return m ? Number(m[1]) : 0;
}

/** Proportional set size of one process in KiB (shared pages split among their users). */
export async function pssKiB(pid: number): Promise<number> {
  const s = await fs.readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const m = /^Pss:\s+(\d+) kB/m.exec(s);
  return m ? Number(m[1]) : 0;
}

/** Unique set size in KiB: pages only this process maps (what exiting it would free). */
export async function ussKiB(pid: number): Promise<number> {
  const s = await fs.readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  let sum = 0;
  for (const m of s.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) sum += Number(m[1]);
  return sum;
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  argv: string[];
}

/** Every process on the machine with its parent and argv (kernel threads have none). */
export async function listProcesses(): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  for (const p of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const [cmdline, stat] = await Promise.all([
      fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => ''),
      fs.readFile(`/proc/${p}/stat`, 'utf8').catch(() => ''),
    ]);
    if (!cmdline) continue;
    // field 4 of stat, after the parenthesised comm (which may itself hold spaces or parens)
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    out.push({ pid: Number(p), ppid, argv: cmdline.split('\0').filter(Boolean) });
  }
  return out;
}

/** Processes whose program is `exe` and whose arguments mention `marker` (a temp dir of ours). */
export async function findProcesses(exe: RegExp, marker: string): Promise<number[]> {
  return (await listProcesses()).filter((p) => exe.test(p.argv[0] ?? '') && p.argv.some((a) => a.includes(marker))).map((p) => p.pid);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

export function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
