// `berth system dial-stdio`: joins stdin/stdout to the daemon's socket, byte for byte. It is what a
// docker CLI with DOCKER_HOST=ssh://host runs on the far side (`ssh host -- docker system
// dial-stdio`), so the API travels through ssh with no TCP port opened.
import type { Duplex } from 'node:stream';
import { noArgs, type Command } from '../command.js';

export const dialStdioCommand: Command = {
  name: 'dial-stdio',
  hidden: true,
  usage: '',
  short: 'Proxy the stdio stream to the daemon connection. Should not be invoked manually.',
  args: noArgs,
  flags: [],
  async run(ctx) {
    const conn = await ctx.client().dial();
    await pipeBothWays(ctx.stdin, ctx.stdout, conn);
  },
};

/**
 * Copies stdin → conn and conn → stdout. End of stdin half-closes the connection (the daemon
 * still answers, as with docker's CloseWrite); the daemon closing ends the command.
 */
export function pipeBothWays(stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, conn: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    stdin.pipe(conn, { end: true });
    conn.pipe(stdout, { end: false });
    conn.once('end', () => {
      stdin.unpipe(conn);
      stdout.write('', () => resolve());
    });
    conn.once('close', () => resolve());
    conn.once('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
  });
}
