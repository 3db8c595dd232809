// Exec routes: /containers/{id}/exec, /exec/{id}/start|resize|json.
import type { Router } from '../router.js';
import { readJson, sendJson, sendStatus, hijack, qInt } from '../http.js';
import { InvalidParameter } from '../../lib/errors.js';
import type { ExecService, ExecConfig } from '../../containers/exec.js';
import { frameChunk } from '../../containers/attach.js';

export function execRoutes(r: Router, execs: ExecService): void {
  r.post('/containers/:id/exec', async (ctx) => {
    const body = await readJson<ExecConfig>(ctx);
    sendJson(ctx, 201, { Id: execs.create(ctx.params.id!, body) });
  });

  r.post('/exec/:id/start', async (ctx) => {
    const body = await readJson<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] }>(ctx, true);
    const s = execs.get(ctx.params.id!);
    if (body.Detach) {
      await execs.start(s.id, undefined, { tty: body.Tty });
      sendStatus(ctx, 200);
      return;
    }
    if (s.started) await execs.start(s.id, undefined, {}); // raises Docker's "already run" conflict before hijacking
    const tty = body.Tty ?? !!s.config.Tty;
    const socket = hijack(ctx, tty);
    try {
      await execs.start(s.id, socket, { tty });
    } catch (err) {
      // The stream is already hijacked: tell the client on it, as dockerd does (on stdout,
      // framed like any output when there is no TTY).
      const text = Buffer.from(`${(err as Error).message}\r\n`);
      if (!socket.destroyed) socket.end(tty ? text : frameChunk(1, text));
    }
  });

  r.post('/exec/:id/resize', async (ctx) => {
    const h = qInt(ctx.query, 'h');
    const w = qInt(ctx.query, 'w');
    if (h === undefined || w === undefined) throw new InvalidParameter('h and w are required');
    await execs.resize(ctx.params.id!, h, w);
    sendStatus(ctx, 200);
  });

  r.get('/exec/:id/json', (ctx) => sendJson(ctx, 200, execs.inspect(ctx.params.id!)));
}
