// Attach sessions: a client's hijacked connection joined to conmon's attach socket. Output
// packets carry conmon's one-byte stream id (2 stdout, 3 stderr); without a TTY each chunk is
// framed with Docker's 8-byte header. Client input goes to the container's stdin until the
// detach keys (default ctrl-p ctrl-q) are typed.
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { connectSeqpacket } from '../lib/seqpacket.js';
import { InvalidParameter } from '../lib/errors.js';
import type { LogEntry } from './logs.js';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys: number[];
  /** Awaited before the client's stream is closed (exec: the exit code must be recorded first). */
  beforeEnd?: () => Promise<void>;
  /**
   * Output taken from the container's log instead of conmon's socket. conmon accepts an attach
   * connection in its main loop, possibly after it has already passed on the first output, so a
   * client that attached before start reads the log, which holds every byte.
   */
  output?: AsyncGenerator<LogEntry>;
}

const CONMON_STDOUT = 2;
const CONMON_STDERR = 3;

/** Parses Docker's detach key spec: "ctrl-p,ctrl-q", "a,ctrl-@", … */
export function parseDetachKeys(spec: string | null | undefined): number[] {
  if (!spec) return [16, 17];
  return spec.split(',').map((k) => {
    if (k.length === 1) return k.charCodeAt(0);
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) throw new InvalidParameter(`Invalid escape keys (${spec}) provided`);
    const c = m[1]!;
    if (c === '@') return 0;
    if (c === '[') return 27;
    if (c === '\\') return 28;
    if (c === ']') return 29;
    if (c === '^') return 30;
    if (c === '_') return 31;
    if (/[a-z]/.test(c)) return c.charCodeAt(0) - 96;
    throw new InvalidParameter(`Invalid escape keys (${spec}) provided`);
  });
}

export function frameChunk(stream: 1 | 2, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/**
 * Joins `client` to the container's attach socket. Resolves when the session ends: the
 * container's streams closed, the client hung up, or the client typed the detach keys.
 */
export function joinAttach(socketPath: string, client: Duplex, o: AttachOptions): { done: Promise<'ended' | 'detached'>; conmon: Socket } {
  const conmon = connectSeqpacket(socketPath);
  let matched = 0;
  const done = new Promise<'ended' | 'detached'>((resolve) => {
    let finished = false;
    const finish = (how: 'ended' | 'detached') => {
      if (finished) return;
      finished = true;
      resolve(how);
    };
    const send = (stream: 1 | 2, data: Buffer) => client.write(o.tty ? data : frameChunk(stream, data));
    if (o.output) {
      const output = o.output;
      conmon.resume(); // stdin only: output comes from the log
      void (async () => {
        try {
          for await (const e of output) send(e.stream === 'stdout' ? 1 : 2, e.data);
        } catch {
          // the log went away with the container: what was read has been sent
        }
        client.end();
        conmon.destroy();
        finish('ended');
      })();
    } else {
      conmon.on('data', (pkt: Buffer) => {
        const kind = pkt[0];
        const data = pkt.subarray(1);
        if (data.length === 0) return;
        if (kind === CONMON_STDOUT && o.stdout) send(1, data);
        else if (kind === CONMON_STDERR && o.stderr) send(2, data);
      });
      conmon.on('end', () => {
        void (o.beforeEnd?.() ?? Promise.resolve()).finally(() => {
          client.end();
          finish('ended');
        });
      });
    }
    conmon.on('error', () => {
      if (o.output) return;
      client.end();
      finish('ended');
    });
    client.on('close', () => {
      conmon.destroy();
      void o.output?.return(undefined);
      finish('ended');
    });
    client.on('error', () => {
      conmon.destroy();
      finish('ended');
    });
    if (o.stdin) {
      client.on('data', (chunk: Buffer) => {
        const keys = o.detachKeys;
        let start = 0;
        for (let i = 0; i < chunk.length; i++) {
          if (chunk[i] === keys[matched]) {
            matched++;
            if (matched === keys.length) {
              const before = chunk.subarray(start, Math.max(start, i + 1 - keys.length));
              if (before.length) conmon.write(before);
              conmon.destroy();
              client.end();
              finish('detached');
              return;
            }
          } else {
            matched = chunk[i] === keys[0] ? 1 : 0;
          }
        }
        if (start < chunk.length) conmon.write(chunk.subarray(start));
        start = chunk.length;
      });
      // The client half-closed its side: close the container's stdin.
      client.on('end', () => conmon.end());
    } else {
      client.resume();
    }
  });
  return { done, conmon };
}
