// docker-compose 1.29 (Debian; it drives the Engine API through docker-py 5) and docker-py 7
// against berthd: a two-service project on its own network with a named volume, environment,
// a published port, depends_on and command:, through up -d, ps, logs, exec, down -v.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { busyboxDaemon, freePort, sleep, type RunResult } from './harness.js';

// Own address pool: the host's default pools may be taken by other daemons' bridges.
const d = busyboxDaemon({ daemonJson: { 'default-address-pools': [{ base: `10.${200 + (process.pid % 50)}.0.0/16`, size: 24 }] } });
const project = `gac${process.pid}`;

function compose(file: string, args: string[]): RunResult {
  const r = spawnSync('docker-compose', ['-p', project, '-f', file, ...args], { env: d.env, timeout: 90_000, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('docker-compose up -d, ps, logs, exec and down -v work against berthd', async () => {
  const port = await freePort();
  const file = join(d.root, 'docker-compose.yml');
  writeFileSync(
    file,
    `version: "3.8"
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /www && echo "hello from $$GREETING" > /www/index.html && cp /www/index.html /data/served && httpd -f -p 80 -h /www'
    environment:
      GREETING: compose
    ports:
      - "${port}:80"
    volumes:
      - webdata:/data
    networks:
      - front
  client:
    image: busybox
    command: sh -c 'for i in $$(seq 1 30); do wget -qO- http://web/ && break; sleep 1; done; sleep 300'
    depends_on:
      - web
    networks:
      - front
volumes:
  webdata:
networks:
  front:
`,
  );
  try {
    const up = compose(file, ['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, new RegExp(`Creating network "${project}_front"`));

    // The client reached the web service by its name on the project network.
    let logs = '';
    for (let i = 0; i < 120 && !logs.includes('hello from compose'); i++) {
      if (i) await sleep(250);
      logs = compose(file, ['logs', '--no-color', 'client']).stdout;
    }
    assert.match(logs, /client_1\s+\| hello from compose/);

    const ps = compose(file, ['ps']);
    assert.equal(ps.code, 0, ps.stderr);
    const rows = ps.stdout.split('\n').filter((l) => l.startsWith(project));
    assert.equal(rows.length, 2, ps.stdout);
    for (const row of rows) assert.match(row, /\sUp\s/, row);
    assert.match(rows.find((r) => r.startsWith(`${project}_web_1`)) ?? '', new RegExp(`0\\.0\\.0\\.0:${port}->80/tcp`));

    // The published port, the volume and the environment, as a user would check them.
    assert.equal(await httpGet(port), 'hello from compose\n');
    const served = compose(file, ['exec', '-T', 'web', 'cat', '/data/served']);
    assert.equal(served.code, 0, served.stderr);
    assert.equal(served.stdout, 'hello from compose\n');
    assert.equal(compose(file, ['exec', '-T', 'web', 'sh', '-c', 'echo $GREETING']).stdout, 'compose\n');
    const vols = d.docker(['volume', 'ls', '-q']).stdout.split('\n');
    assert.ok(vols.includes(`${project}_webdata`), vols.join(' '));

    const down = compose(file, ['down', '-v']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(d.docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]).stdout, '');
    assert.doesNotMatch(d.docker(['network', 'ls', '--format', '{{.Name}}']).stdout, new RegExp(`${project}_front`));
    assert.doesNotMatch(d.docker(['volume', 'ls', '-q']).stdout, new RegExp(`${project}_webdata`));
  } finally {
    compose(file, ['down', '-v', '-t', '1']);
  }
});

test('docker-py: containers.run, images.list, volumes.create, networks.create', () => {
  const script = `
import docker
c = docker.from_env()
print(c.containers.run('busybox', 'echo hi', remove=True).decode(), end='')
print(sorted(t for i in c.images.list() for t in i.tags))
v = c.volumes.create('${project}-vol', labels={'made-by': 'docker-py'})
print(v.name, v.attrs['Labels'])
n = c.networks.create('${project}-net', driver='bridge')
print(n.name, n.attrs['Driver'])
out = c.containers.run('busybox', 'sh -c "cat /v/none 2>/dev/null; echo $X > /v/f; cat /v/f"', remove=True, network=n.name, volumes={v.name: {'bind': '/v', 'mode': 'rw'}}, environment={'X': 'from-env'})
print(out.decode(), end='')
n.remove(); v.remove()
print(len(c.containers.list(all=True)), '${project}-net' in [x.name for x in c.networks.list()], '${project}-vol' in [x.name for x in c.volumes.list()])
`;
  const r = spawnSync('python3', ['-c', script], { env: d.env, timeout: 60_000, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `hi\n['busybox:latest']\n${project}-vol {'made-by': 'docker-py'}\n${project}-net bridge\nfrom-env\n0 False False\n`);
});
