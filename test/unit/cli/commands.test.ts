import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main.js';
import { encodeFrame } from '../../../src/cli/stdcopy.js';
import { Capture, json, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';

async function berth(d: FakeDaemon, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const stdin = new PassThrough();
  const code = await main(['-H', d.host, ...argv], { stdout: out as never, stderr: err as never, stdin: stdin as never, env: {} });
  return { code, out: out.text, err: err.text };
}

async function withDaemon(fn: (d: FakeDaemon) => Promise<void>): Promise<void> {
  const d = await startFakeDaemon();
  try {
    await fn(d);
  } finally {
    await d.close();
  }
}

const now = Math.floor(Date.now() / 1000);

test('ps prints docker\'s table: quoted, ellipsized COMMAND, relative CREATED, grouped PORTS', () =>
  withDaemon(async (d) => {
    let query = '';
    d.routes.set('GET /containers/json', (req, res) => {
      query = new URL(req.url!, 'http://x').search;
      json(res, 200, [
        {
          Id: 'f5b4c2a1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3',
          Names: ['/web'],
          Image: 'docker.io/library/busybox:latest',
          ImageID: 'sha256:1111',
          Command: 'sh -c "while true; do sleep 1; done"',
          Created: now - 300,
          Ports: [
            { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
            { PrivatePort: 443, Type: 'tcp' },
            { PrivatePort: 444, Type: 'tcp' },
          ],
          State: 'running',
          Status: 'Up 5 minutes',
        },
      ]);
    });
    const r = await berth(d, 'ps', '-a');
    assert.equal(r.code, 0);
    assert.equal(query, '?all=1');
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'CONTAINER ID   IMAGE            COMMAND                   CREATED         STATUS         PORTS                               NAMES');
    assert.equal(lines[1], 'f5b4c2a1d0e9   busybox:latest   "sh -c \\"while true; …"   5 minutes ago   Up 5 minutes   443-444/tcp, 0.0.0.0:8080->80/tcp   web');
    const q = await berth(d, 'ps', '-q', '--no-trunc');
    assert.equal(q.out, 'f5b4c2a1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3\n');
    const f = await berth(d, 'ps', '--format', '{{.Names}} {{.State}}', '--filter', 'status=running', '-n', '2');
    assert.equal(f.out, 'web running\n');
    assert.equal(query, `?filters=${encodeURIComponent('{"status":{"running":true}}')}&limit=2`);
    const j = await berth(d, 'ps', '--format', 'json');
    assert.equal(JSON.parse(j.out).Names, 'web');
  }));

test('images prints one row per tag with decimal sizes; dangling images show <none>', () =>
  withDaemon(async (d) => {
    d.routes.set('GET /images/json', (_req, res) =>
      json(res, 200, [
        { Id: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741', RepoTags: ['busybox:latest', 'busybox:1.35'], RepoDigests: [], Created: now - 2 * 86400, Size: 4_261_412 },
        { Id: 'sha256:aaaabbbbccccddddeeeeffff00001111222233334444555566667777888899990', RepoTags: [], RepoDigests: [], Created: now - 3 * 3600, Size: 512 },
      ]),
    );
    const r = await berth(d, 'images');
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      [
        'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE',
        'busybox      latest    3f57d9401f8d   2 days ago    4.26MB',
        'busybox      1.35      3f57d9401f8d   2 days ago    4.26MB',
        '<none>       <none>    aaaabbbbcccc   3 hours ago   512B',
        '',
      ].join('\n'),
    );
    const q = await berth(d, 'image', 'ls', '-q');
    assert.equal(q.out, '3f57d9401f8d\n3f57d9401f8d\naaaabbbbcccc\n');
  }));

test('rm removes each container, reports each failure, and exits 1 if any failed', () =>
  withDaemon(async (d) => {
    d.routes.set('DELETE /containers/a', (_req, res) => {
      res.writeHead(204);
      res.end();
    });
    d.routes.set('DELETE /containers/b', (_req, res) => json(res, 404, { message: 'No such container: b' }));
    const r = await berth(d, 'rm', 'a', 'b');
    assert.equal(r.code, 1);
    assert.equal(r.out, 'a\n');
    assert.equal(r.err, 'Error response from daemon: No such container: b\n');
    // With -f a missing container is reported but is not a failure.
    const f = await berth(d, 'rm', '-f', 'b');
    assert.equal(f.code, 0);
    assert.equal(f.err, 'Error response from daemon: No such container: b\n');
    assert.ok(d.log.includes('DELETE /v1.50/containers/b?force=1'));
  }));

test('run: attach before start, wait next-exit, output demultiplexed, exit with the container code', () =>
  withDaemon(async (d) => {
    let createBody: Record<string, unknown> = {};
    let attached: import('node:stream').Duplex | undefined;
    let waitRes: import('node:http').ServerResponse | undefined;
    d.routes.set('POST /containers/create', (_req, res, body) => {
      createBody = JSON.parse(body.toString());
      json(res, 201, { Id: 'c0ffee', Warnings: [] });
    });
    d.upgrades.set('/containers/c0ffee/attach', (_req, socket) => {
      attached = socket;
    });
    d.routes.set('POST /containers/c0ffee/wait', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      waitRes = res;
    });
    d.routes.set('POST /containers/c0ffee/start', (_req, res) => {
      res.writeHead(204);
      res.end();
      attached!.write(encodeFrame(1, 'hi\n'));
      attached!.end(encodeFrame(2, 'warn\n'));
      setTimeout(() => waitRes!.end(JSON.stringify({ StatusCode: 3 })), 10);
    });
    const r = await berth(d, 'run', '--rm', '-e', 'A=1', 'busybox', 'sh', '-c', 'echo hi; exit 3');
    assert.equal(r.code, 3);
    assert.equal(r.out, 'hi\n');
    assert.equal(r.err, 'warn\n');
    assert.deepEqual(createBody.Cmd, ['sh', '-c', 'echo hi; exit 3']);
    assert.deepEqual(createBody.Env, ['A=1']);
    const order = d.log.filter((l) => !l.includes('_ping')).map((l) => l.replace(/\?.*/, ''));
    assert.deepEqual(order, [
      'POST /v1.50/containers/create',
      'UPGRADE POST /v1.50/containers/c0ffee/attach',
      'POST /v1.50/containers/c0ffee/wait',
      'POST /v1.50/containers/c0ffee/start',
    ]);
    assert.ok(d.log.includes('POST /v1.50/containers/c0ffee/wait?condition=removed'));
  }));

test('run -d prints the container ID without attaching', () =>
  withDaemon(async (d) => {
    d.routes.set('POST /containers/create', (_req, res) => json(res, 201, { Id: 'deadbeef', Warnings: ['low memory'] }));
    d.routes.set('POST /containers/deadbeef/start', (_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const r = await berth(d, 'run', '-d', '--name', 'svc', 'busybox', 'sleep', '60');
    assert.equal(r.code, 0);
    assert.equal(r.out, 'deadbeef\n');
    assert.equal(r.err, 'WARNING: low memory\n');
    assert.ok(d.log.includes('POST /v1.50/containers/create?name=svc'));
    assert.ok(!d.log.some((l) => l.includes('attach') || l.includes('wait')));
  }));

test('run of a missing image says so, tries to pull, and exits 125 with the daemon error', () =>
  withDaemon(async (d) => {
    d.routes.set('POST /containers/create', (_req, res) => json(res, 404, { message: 'No such image: busybox:latest' }));
    d.routes.set('POST /images/create', (_req, res) => json(res, 500, { message: 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host' }));
    const r = await berth(d, 'run', 'busybox');
    assert.equal(r.code, 125);
    assert.equal(
      r.err,
      "Unable to find image 'busybox:latest' locally\n" +
        'berth: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host\n\n' +
        "Run 'berth run --help' for more information\n",
    );
    assert.ok(d.log.includes('POST /v1.50/images/create?fromImage=busybox&tag=latest'));
  }));

test('run exits 127 when the command is missing and 126 when it cannot be executed', () =>
  withDaemon(async (d) => {
    let msg = '';
    d.routes.set('POST /containers/create', (_req, res) => json(res, 201, { Id: 'x1', Warnings: null }));
    d.routes.set('POST /containers/x1/start', (_req, res) => json(res, 400, { message: msg }));
    msg = 'failed to create task: exec: "nope": executable file not found in $PATH';
    assert.equal((await berth(d, 'run', '-d', 'busybox', 'nope')).code, 127);
    msg = 'exec: "/etc": permission denied';
    assert.equal((await berth(d, 'run', '-d', 'busybox', '/etc')).code, 126);
  }));

test('logs demultiplexes a non-TTY container\'s stream to stdout and stderr', () =>
  withDaemon(async (d) => {
    d.routes.set('GET /containers/web/json', (_req, res) => json(res, 200, { Id: 'web', Config: { Tty: false } }));
    d.routes.set('GET /containers/web/logs', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(Buffer.concat([encodeFrame(1, 'out 1\n'), encodeFrame(2, 'err 1\n'), encodeFrame(1, 'out 2\n')]));
    });
    const r = await berth(d, 'logs', '-n', '5', '-t', 'web');
    assert.equal(r.code, 0);
    assert.equal(r.out, 'out 1\nout 2\n');
    assert.equal(r.err, 'err 1\n');
    assert.ok(d.log.includes('GET /v1.50/containers/web/logs?stderr=1&stdout=1&tail=5&timestamps=1'));
  }));

test('import streams the file as the request body and prints the new image ID', () =>
  withDaemon(async (d) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cli-import-'));
    try {
      const file = join(dir, 'rootfs.tar');
      writeFileSync(file, Buffer.alloc(3000, 7));
      let received = 0;
      d.routes.set('POST /images/create', (_req, res, body) => {
        received = body.length;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: 'sha256:' + 'ab'.repeat(32) }) + '\r\n');
      });
      const r = await berth(d, 'import', '-c', 'CMD ["sh"]', '-m', 'hello', file, 'mine:1');
      assert.equal(r.code, 0);
      assert.equal(r.out, 'sha256:' + 'ab'.repeat(32) + '\n');
      assert.equal(received, 3000);
      assert.ok(d.log.includes(`POST /v1.50/images/create?changes=${encodeURIComponent('CMD ["sh"]')}&fromSrc=-&message=hello&repo=mine%3A1`));
      const missing = await berth(d, 'import', join(dir, 'nope.tar'));
      assert.equal(missing.code, 1);
      assert.equal(missing.err, `open ${join(dir, 'nope.tar')}: no such file or directory\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test('inspect prints an indented JSON array or one template line per object, and fails on unknown names', () =>
  withDaemon(async (d) => {
    d.routes.set('GET /containers/web/json', (_req, res) => json(res, 200, { Id: 'abc', Name: '/web', State: { Status: 'running' } }));
    const r = await berth(d, 'inspect', 'web');
    assert.equal(r.out, '[\n    {\n        "Id": "abc",\n        "Name": "/web",\n        "State": {\n            "Status": "running"\n        }\n    }\n]\n');
    const f = await berth(d, 'container', 'inspect', '-f', '{{.State.Status}} {{.Name}}', 'web');
    assert.equal(f.out, 'running /web\n');
    const missing = await berth(d, 'inspect', 'ghost');
    assert.equal(missing.code, 1);
    assert.equal(missing.out, '[]\n');
    assert.equal(missing.err, 'Error: No such object: ghost\n');
  }));

test('version prints client and server sections aligned like docker', () =>
  withDaemon(async (d) => {
    d.routes.set('GET /version', (_req, res) =>
      json(res, 200, {
        Platform: { Name: 'Berth' },
        Components: [{ Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.50', MinAPIVersion: '1.24', GoVersion: 'n/a', GitCommit: 'abc', BuildTime: '2026-01-02T03:04:05Z', Os: 'linux', Arch: 'amd64', Experimental: 'false' } }],
        Version: '0.1.0',
        ApiVersion: '1.50',
      }),
    );
    const r = await berth(d, 'version');
    assert.equal(r.code, 0);
    assert.match(r.out, /^Client:\n Version: {11}\S+\n API version: {7}1\.50\n/);
    assert.match(r.out, /\n\nServer: Berth\n Engine:\n  Version: {10}0\.1\.0\n  API version: {6}1\.50 \(minimum version 1\.24\)\n/);
    assert.match(r.out, /  Built: {12}Fri Jan  2 03:04:05 2026\n/);
    const f = await berth(d, 'version', '--format', '{{.Server.Version}}');
    assert.equal(f.out, '0.1.0\n');
  }));

test('usage errors exit 125 with the usage line; argument-count errors exit 1', async () => {
  const d = await startFakeDaemon();
  try {
    const bad = await berth(d, 'run', '--nope', 'busybox');
    assert.equal(bad.code, 125);
    assert.equal(bad.err, "unknown flag: --nope\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
    const none = await berth(d, 'container', 'rm');
    assert.equal(none.code, 1);
    assert.equal(none.err, "berth: 'berth container rm' requires at least 1 argument\n\nUsage:  berth container rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth container rm --help' for more information\n");
    const unknown = await berth(d, 'frobnicate');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /^berth: unknown command: berth frobnicate/);
    assert.equal(d.log.length, 0, 'no request reaches the daemon');
  } finally {
    await d.close();
  }
});
