// `berth completion bash` sourced into a real bash: it registers itself for berth and completes
// commands, group subcommands, flags and — through `berth … --format` calls to the daemon — the
// names of containers, images, networks and volumes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, REPO } from './harness.js';

const d = new TestDaemon();
const tag = `c${process.pid}`;
let script = '';
let bin = '';

before(async () => {
  await d.start();
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
  assert.equal(d.docker(['create', '--name', `${tag}-web`, 'busybox', 'true']).code, 0);
  assert.equal(d.docker(['network', 'create', `${tag}-net`]).code, 0);
  assert.equal(d.docker(['volume', 'create', `${tag}-vol`]).code, 0);
  const gen = d.berth(['completion', 'bash']);
  assert.equal(gen.code, 0, gen.stderr);
  script = join(d.root, 'berth-completion.bash');
  writeFileSync(script, gen.stdout);
  // The script calls `berth`: put this checkout's on PATH.
  bin = join(d.root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'berth'), `#!/bin/sh\nexec ${process.execPath} ${join(REPO, 'bin/berth')} "$@"\n`, { mode: 0o755 });
});

after(async () => {
  await d.stop();
});

/** Sources the script and completes the last word of `line` (a trailing space starts a new word). */
function complete(line: string): string[] {
  const words = line.split(' ');
  const program = `source ${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_berth
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '-c', program], { env: { ...d.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString().split('\n').filter(Boolean).sort();
}

test('the script registers a completion function for berth', () => {
  const r = spawnSync('bash', ['--norc', '-c', `source ${script} && complete -p berth`]);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString().trim(), 'complete -o default -F _berth berth');
});

test('commands, subcommands and flags come from the command tree', () => {
  assert.deepEqual(complete('berth st'), ['start', 'stats', 'stop']);
  assert.deepEqual(complete('berth container unp'), ['unpause']);
  assert.deepEqual(complete('berth context '), ['create', 'inspect', 'list', 'ls', 'remove', 'rm', 'show', 'use']);
  assert.deepEqual(complete('berth run --net'), ['--network', '--network-alias']);
  assert.deepEqual(complete('berth -H unix:///x --tls'), ['--tls', '--tlscacert', '--tlscert', '--tlskey', '--tlsverify']);
  assert.deepEqual(complete('berth completion '), ['bash', 'zsh']);
  // After a flag that takes a value nothing is offered from the tables.
  assert.deepEqual(complete('berth run --name '), []);
});

test('object names come from the daemon', () => {
  assert.deepEqual(complete(`berth start ${tag}`), [`${tag}-web`]);
  assert.deepEqual(complete(`berth container rm -f ${tag}`), [`${tag}-web`]);
  assert.deepEqual(complete('berth rmi busy'), ['busybox:latest']);
  assert.deepEqual(complete('berth run -e A=1 busy'), ['busybox:latest']);
  assert.deepEqual(complete(`berth network inspect ${tag}`), [`${tag}-net`]);
  assert.deepEqual(complete(`berth volume rm ${tag}`), [`${tag}-vol`]);
  // network connect NETWORK CONTAINER: the second argument is a container.
  assert.deepEqual(complete(`berth network connect ${tag}-net ${tag}`), [`${tag}-web`]);
  // A daemon named on the command line is the one asked.
  assert.deepEqual(complete(`berth -H unix:///nowhere.sock start ${tag}`), []);
});

test('the zsh script carries the same tables through bashcompinit', () => {
  const z = d.berth(['completion', 'zsh']);
  assert.equal(z.code, 0);
  assert.match(z.stdout, /^#compdef berth\n/);
  assert.match(z.stdout, /bashcompinit/);
  assert.match(z.stdout, /complete -o default -F _berth berth\n$/);
  const bad = d.berth(['completion', 'fish']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'unsupported shell type "fish"\n');
});
