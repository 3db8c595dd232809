import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionError, DaemonError, EngineClient, resolveHost } from '../../../src/cli/client.js';
import { encodeFrame, FrameDecoder } from '../../../src/cli/stdcopy.js';
import { json, startFakeDaemon } from './fake-daemon.js';

test('the client lowers its API version to the one /_ping advertises', async () => {
  const d = await startFakeDaemon('1.44');
  const c = new EngineClient(d.host);
  try {
    d.routes.set('GET /containers/json', (_req, res) => json(res, 200, []));
    assert.deepEqual(await c.json('GET', '/containers/json'), []);
    assert.equal(c.apiVersion, '1.44');
    assert.deepEqual(d.log, ['HEAD /_ping', 'GET /v1.44/containers/json']);
  } finally {
    c.close();
    await d.close();
  }
});

test('a daemon newer than the client keeps 1.50; one without Api-Version is taken as 1.24', async () => {
  const newer = await startFakeDaemon('1.99');
  const older = await startFakeDaemon(null);
  const a = new EngineClient(newer.host);
  const b = new EngineClient(older.host);
  try {
    await a.negotiate();
    await b.negotiate();
    assert.equal(a.apiVersion, '1.50');
    assert.equal(b.apiVersion, '1.24');
    // DOCKER_API_VERSION pins the version and skips negotiation.
    const pinned = EngineClient.fromEnvironment(newer.host, { DOCKER_API_VERSION: '1.41' });
    await pinned.negotiate();
    assert.equal(pinned.apiVersion, '1.41');
    pinned.close();
  } finally {
    a.close();
    b.close();
    await newer.close();
    await older.close();
  }
});

test('daemon error bodies become "Error response from daemon: …" with their status', async () => {
  const d = await startFakeDaemon();
  const c = new EngineClient(d.host);
  try {
    d.routes.set('GET /containers/x/json', (_req, res) => json(res, 404, { message: 'No such container: x' }));
    d.routes.set('POST /boom', (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('plain failure\n');
    });
    d.routes.set('POST /empty', (_req, res) => {
      res.writeHead(500);
      res.end();
    });
    await assert.rejects(c.json('GET', '/containers/x/json'), (err: unknown) => {
      assert.ok(err instanceof DaemonError);
      assert.equal(err.statusCode, 404);
      assert.equal(err.message, 'Error response from daemon: No such container: x');
      return true;
    });
    await assert.rejects(c.json('POST', '/boom'), { message: 'Error response from daemon: plain failure' });
    await assert.rejects(c.json('POST', '/empty'), { message: 'Error response from daemon: received unexpected HTTP status: 500 Internal Server Error' });
  } finally {
    c.close();
    await d.close();
  }
});

test('no daemon at the socket: "Cannot connect to the Berth daemon"', async () => {
  const c = new EngineClient('unix:///nonexistent/berth-test.sock');
  await assert.rejects(c.json('GET', '/info'), (err: unknown) => {
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.message, 'Cannot connect to the Berth daemon at unix:///nonexistent/berth-test.sock. Is the berth daemon running?');
    return true;
  });
  c.close();
});

test('-H wins over BERTH_HOST, which wins over DOCKER_HOST', () => {
  assert.equal(resolveHost('unix:///a.sock', { BERTH_HOST: 'unix:///b.sock' }), 'unix:///a.sock');
  assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b.sock', DOCKER_HOST: 'unix:///c.sock' }), 'unix:///b.sock');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c.sock' }), 'unix:///c.sock');
  assert.equal(resolveHost(undefined, {}), 'unix:///run/berth.sock');
});

test('JSON bodies and sorted, repeated query parameters go on the wire', async () => {
  const d = await startFakeDaemon();
  const c = new EngineClient(d.host);
  try {
    let seen: unknown;
    d.routes.set('POST /things', (req, res, body) => {
      seen = { url: req.url, type: req.headers['content-type'], body: JSON.parse(body.toString()) };
      json(res, 201, { Id: 'x' });
    });
    await c.json('POST', '/things', { query: { z: 'last', a: true, changes: ['CMD ["sh"]', 'ENV A=1'], skip: undefined }, body: { Image: 'busybox' } });
    assert.deepEqual(seen, {
      url: '/v1.50/things?a=1&changes=CMD%20%5B%22sh%22%5D&changes=ENV%20A%3D1&z=last',
      type: 'application/json',
      body: { Image: 'busybox' },
    });
  } finally {
    c.close();
    await d.close();
  }
});

test('hijack: 101 Switching Protocols hands over a raw two-way stream', async () => {
  const d = await startFakeDaemon();
  const c = new EngineClient(d.host);
  try {
    d.upgrades.set('/containers/abc/attach', (req, socket) => {
      assert.equal(req.headers.upgrade, 'tcp');
      socket.on('data', (chunk: Buffer) => socket.write(encodeFrame(1, `echo:${chunk}`)));
      socket.on('end', () => socket.end(encodeFrame(2, 'bye\n')));
    });
    const s = await c.hijack('POST', '/containers/abc/attach', { query: { stream: true, stdin: true } });
    const out: string[] = [];
    const err: string[] = [];
    const dec = new FrameDecoder((b) => out.push(String(b)), (b) => err.push(String(b)));
    s.on('data', (b: Buffer) => dec.push(b));
    s.write('hello');
    await new Promise((r) => setTimeout(r, 50));
    s.end();
    await new Promise((r) => s.on('close', r));
    assert.equal(out.join(''), 'echo:hello');
    assert.equal(err.join(''), 'bye\n');
    // A refused upgrade is an ordinary daemon error.
    await assert.rejects(c.hijack('POST', '/containers/nope/attach'), { message: 'Error response from daemon: No such thing' });
  } finally {
    c.close();
    await d.close();
  }
});
