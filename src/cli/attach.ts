// Driving a hijacked attach/exec connection as docker/cli's hijackedIOStreamer does: output copied
// raw (TTY) or demultiplexed, stdin forwarded with the detach-key sequence (default ctrl-p ctrl-q)
// watched for, the local terminal in raw mode while a TTY session lasts, and resize on SIGWINCH;
// and the container's exit status read from the wait request a session runs beside.

import type { Duplex, Readable } from 'node:stream';
import type { CommandContext } from './command.js';
import { FrameDecoder } from './stdcopy.js';
import { StatusError } from './status-error.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * The detach keys of a session: the flag, else config.json's detachKeys, else docker's default.
 * `requested` is what the attach request carries: only an explicit choice, so the daemon keeps its own default.
 */
export function detachKeysOf(ctx: CommandContext, flag: string): { keys: string; requested: string | undefined } {
  const requested = flag || ctx.config.file().detachKeys || undefined;
  return { keys: requested ?? DEFAULT_DETACH_KEYS, requested };
}

/** detachKeysOf for run and exec, which refuse a sequence they cannot parse before creating anything. */
export function checkedDetachKeys(ctx: CommandContext, flag: string): { keys: string; requested: string | undefined } {
  const d = detachKeysOf(ctx, flag);
  try {
    parseDetachKeys(d.keys);
  } catch (err) {
    throw new StatusError((err as Error).message, 1);
  }
  return d;
}

export interface WaitResult {
  StatusCode?: number;
  Error?: { Message?: string } | null;
}

/** The body of POST /containers/{id}/wait, read once the container has stopped. */
export async function readWaitResult(response: Readable): Promise<WaitResult> {
  const chunks: Buffer[] = [];
  for await (const c of response) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}') as WaitResult;
}

/** term.ToBytes: "ctrl-p,ctrl-q" → [16, 17]; single characters stand for themselves. */
export function parseDetachKeys(keys: string): number[] {
  const out: number[] = [];
  for (const part of keys.split(',')) {
    const k = part.trim();
    if (k.length > 1 && k.startsWith('ctrl-')) {
      const c = k.slice(5);
      if (c.length !== 1) throw new Error(`Invalid detach keys (${keys}) provided`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 97 && code <= 122) out.push(code - 96);
      else if (c === '@') out.push(0);
      else if (c === '[') out.push(27);
      else if (c === '\\') out.push(28);
      else if (c === ']') out.push(29);
      else if (c === '^') out.push(30);
      else if (c === '_') out.push(31);
      else throw new Error(`Invalid detach keys (${keys}) provided`);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw new Error(`Invalid detach keys (${keys}) provided`);
  }
  return out;
}

/**
 * Watches a byte stream for the detach sequence. Bytes that might start the sequence are held
 * back until it is clear they do not, then released, so a lone ctrl-p still reaches the container.
 */
export class DetachKeyFilter {
  private held: number[] = [];
  constructor(private readonly keys: number[]) {}

  /** Returns the bytes to forward, and whether the full sequence was typed. */
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), detached: true };
        continue;
      }
      out.push(...this.held);
      this.held = [];
      if (b === this.keys[0]) this.held.push(b);
      else out.push(b);
    }
    return { forward: Buffer.from(out), detached: false };
  }
}

export interface StreamOptions {
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys: string;
}

export type StreamEnd = 'eof' | 'detached';

/**
 * Runs the session until the container's output ends (or the user detaches). With stdin attached
 * and a terminal on both sides, the terminal is put in raw mode for the duration.
 */
export function streamHijacked(ctx: CommandContext, socket: Duplex, opts: StreamOptions): Promise<StreamEnd> {
  const keys = parseDetachKeys(opts.detachKeys || DEFAULT_DETACH_KEYS);
  return new Promise<StreamEnd>((resolve, reject) => {
    const stdin = ctx.stdin;
    let raw = false;
    let finished = false;
    const cleanup = (): void => {
      if (raw && stdin.setRawMode) stdin.setRawMode(false);
      raw = false;
      stdin.off('data', onInput);
      stdin.off('end', onInputEnd);
      stdin.pause();
    };
    const finish = (how: StreamEnd): void => {
      if (finished) return;
      finished = true;
      cleanup();
      resolve(how);
    };

    // The TTY stream carries stdout and stderr already merged; otherwise it is framed.
    const errSink = opts.tty ? ctx.stdout : ctx.stderr;
    const decoder = opts.tty
      ? undefined
      : new FrameDecoder(
          (b) => {
            if (opts.attachStdout) ctx.stdout.write(b);
          },
          (b) => {
            if (opts.attachStderr) errSink.write(b);
          },
        );
    socket.on('data', (chunk: Buffer) => {
      try {
        if (decoder) decoder.push(chunk);
        else if (opts.attachStdout || opts.attachStderr) ctx.stdout.write(chunk);
      } catch (err) {
        finished = true;
        cleanup();
        socket.destroy();
        reject(err);
      }
    });
    socket.on('end', () => finish('eof'));
    socket.on('close', () => finish('eof'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish('eof');
      else if (!finished) {
        finished = true;
        cleanup();
        reject(err);
      }
    });

    const filter = new DetachKeyFilter(opts.tty ? keys : []);
    function onInput(chunk: Buffer): void {
      const { forward, detached } = filter.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      if (forward.length) socket.write(forward);
      if (detached) {
        socket.destroy();
        finish('detached');
      }
    }
    function onInputEnd(): void {
      // Half-close: the container sees EOF on stdin and the output keeps flowing until it exits.
      if (!opts.tty) socket.end();
    }
    if (opts.attachStdin) {
      if (opts.tty && stdin.isTTY && stdin.setRawMode) {
        stdin.setRawMode(true);
        raw = true;
      }
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.resume();
    }
  });
}

/** Sends the terminal size now and on every SIGWINCH; returns the function that stops it. */
export function monitorTtySize(ctx: CommandContext, resizePath: string): () => void {
  const out = ctx.stdout;
  if (!out.isTTY) return () => {};
  const send = (): void => {
    const h = out.rows ?? 0;
    const w = out.columns ?? 0;
    if (h === 0 && w === 0) return;
    ctx
      .client()
      .request('POST', resizePath, { query: { h, w } })
      .then((res) => res.resume())
      .catch(() => {
        // A resize racing the container's exit fails harmlessly, as it does in docker.
      });
  };
  send();
  process.on('SIGWINCH', send);
  return () => process.off('SIGWINCH', send);
}
