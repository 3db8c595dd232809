// Swarm-mode commands before Berth has swarm mode: `berth swarm|node|service …` send the request
// docker's CLI sends and show the daemon's refusal exactly as docker's CLI does (stderr, exit 1),
// rather than "unknown command" or a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from './harness.js';

let d: TestDaemon;

before(async () => {
  d = new TestDaemon();
  await d.start();
});

after(async () => {
  await d?.stop();
});

const lines: string[][] = [
  ['swarm', 'init', '--advertise-addr', '127.0.0.1'],
  ['swarm', 'join', '--token', 'SWMTKN-1-x', '127.0.0.1:2377'],
  ['swarm', 'leave', '--force'],
  ['swarm', 'join-token', 'worker'],
  ['swarm', 'unlock-key'],
  ['node', 'ls'],
  ['node', 'inspect', 'self'],
  ['node', 'rm', 'n1'],
  ['service', 'create', '--name', 'web', '--replicas', '2', '-p', '8080:80', 'busybox', 'httpd', '-f'],
  ['service', 'ls'],
  ['service', 'ps', 'web'],
  ['service', 'inspect', 'web'],
  ['service', 'scale', 'web=3'],
  ['service', 'rm', 'web'],
];

for (const args of lines) {
  test(`berth ${args.join(' ')} fails as docker does`, () => {
    const docker = d.docker(args);
    const berth = d.berth(args);
    assert.equal(docker.code, 1, docker.stderr);
    assert.equal(berth.code, docker.code, berth.stderr);
    assert.equal(berth.stdout, docker.stdout);
    assert.match(docker.stderr, /Error response from daemon: /);
    assert.equal(berth.stderr.trim().split('\n')[0], docker.stderr.trim().split('\n')[0]);
  });
}
