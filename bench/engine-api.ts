// Just enough of the Docker Engine API, over a unix socket, to set up and tear down the
// benchmark's containers on berthd and dockerd without paying a CLI process per container.
import http from 'node:http';

export interface ApiReply {
  status: number;
  body: any;
}

export function apiCall(socket: string, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath: socket, path, method, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
      (res) => {
        let raw = '';
        res.on('data', (d: Buffer) => (raw += d.toString()));
        res.on('end', () => {
          let parsed: unknown = raw;
          try {
            parsed = JSON.parse(raw);
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

export async function ping(socket: string): Promise<boolean> {
  return apiCall(socket, 'GET', '/_ping').then(
    (r) => r.status === 200,
    () => false,
  );
}

/** Creates and starts a detached container; returns its id. */
export async function runDetached(socket: string, image: string, cmd: string[]): Promise<string> {
  const c = await apiCall(socket, 'POST', '/containers/create', { Image: image, Cmd: cmd, HostConfig: { NetworkMode: 'none' } });
  if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`);
  const id = c.body.Id as string;
  const s = await apiCall(socket, 'POST', `/containers/${id}/start`);
  if (s.status !== 204 && s.status !== 304) throw new Error(`start ${id}: ${s.status} ${JSON.stringify(s.body)}`);
  return id;
}

export async function containerIds(socket: string): Promise<string[]> {
  const r = await apiCall(socket, 'GET', '/containers/json?all=1');
  return r.status === 200 ? (r.body as { Id: string }[]).map((c) => c.Id) : [];
}

export async function removeForce(socket: string, id: string): Promise<void> {
  await apiCall(socket, 'DELETE', `/containers/${id}?force=1`).catch(() => undefined);
}
