// Live restore: killing berthd (even with SIGKILL) leaves containers running; the next berthd
// picks them up, records exits that happened while it was down, and restarts `always` ones.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TestDaemon, busyboxTar, sleep } from './harness.js';

const daemons: TestDaemon[] = [];

after(async () => {
  for (const d of daemons) await d.stop();
});

async function waitFor(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (fn()) return;
  assert.fail(`timed out waiting for ${what}`);
}

test('kill -9 of berthd: containers keep running, logs stay, stop works, exits are recorded, always restarts', async () => {
  const d = new TestDaemon();
  daemons.push(d);
  await d.start();
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
  const keep = d.docker(['run', '-d', '--name', 'keep', 'busybox', 'sh', '-c', 'echo before; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done']).stdout.trim();
  const ends = d.docker(['run', '-d', '--name', 'ends', 'busybox', 'sh', '-c', 'sleep 1; echo done; exit 7']).stdout.trim();
  const always = d.docker(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sleep', '600']).stdout.trim();
  await waitFor('keep to log', () => d.docker(['logs', 'keep']).stdout.includes('before'));
  const pidBefore = d.docker(['inspect', '-f', '{{.State.Pid}}', 'keep']).stdout.trim();
  const alwaysPid = Number(d.docker(['inspect', '-f', '{{.State.Pid}}', 'always']).stdout.trim());

  await d.kill9();
  process.kill(alwaysPid, 'SIGKILL');
  await sleep(1500); // `ends` exits while the daemon is down

  await d.start();
  assert.equal(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', keep]).stdout.trim(), `running ${pidBefore}`);
  assert.equal(d.docker(['logs', 'keep']).stdout, 'before\n');
  assert.equal(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', ends]).stdout.trim(), 'exited 7');
  assert.equal(d.docker(['logs', 'ends']).stdout, 'done\n');
  await waitFor('always to run again', () => d.docker(['inspect', '-f', '{{.State.Status}}', always]).stdout.trim() === 'running');
  assert.notEqual(Number(d.docker(['inspect', '-f', '{{.State.Pid}}', always]).stdout.trim()), alwaysPid);

  const stop = d.docker(['stop', 'keep']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(d.docker(['inspect', '-f', '{{.State.ExitCode}}', keep]).stdout.trim(), '0');
  assert.equal(d.docker(['logs', 'keep']).stdout, 'before\nbye\n');
});

test('SIGTERM with live-restore false stops containers first', async () => {
  const d = new TestDaemon({ daemonJson: { 'live-restore': false } });
  daemons.push(d);
  await d.start();
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
  const id = d.docker(['run', '-d', '--stop-timeout', '1', 'busybox', 'sleep', '600']).stdout.trim();
  const pid = Number(d.docker(['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim());
  await d.terminate();
  let alive = true;
  try {
    process.kill(pid, 0);
  } catch {
    alive = false;
  }
  assert.equal(alive, false, 'the container process was stopped with the daemon');
  await d.start();
  assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', id]).stdout.trim(), 'exited');
});

test('a second daemon on its own root does not see or touch the first one', async () => {
  const a = new TestDaemon();
  const b = new TestDaemon();
  daemons.push(a, b);
  await a.start();
  await b.start();
  assert.equal(a.docker(['import', busyboxTar(a.root), 'busybox']).code, 0);
  assert.equal(b.docker(['import', busyboxTar(b.root), 'busybox']).code, 0);
  const ida = a.docker(['run', '-d', 'busybox', 'sleep', '600']).stdout.trim();
  assert.equal(b.docker(['ps', '-aq']).stdout.trim(), '');
  assert.equal(b.docker(['inspect', ida]).code, 1);
  await b.stop();
  assert.equal(a.docker(['inspect', '-f', '{{.State.Status}}', ida]).stdout.trim(), 'running');
});

test('a daemon killed in the middle of a removal: the next start reclaims the layer, mount and runtime record', async () => {
  const d = new TestDaemon();
  daemons.push(d);
  await d.start();
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
  const id = d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']).stdout.trim();
  const upper = d.docker(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
  const merged = d.docker(['inspect', '-f', '{{.GraphDriver.Data.MergedDir}}', id]).stdout.trim();
  const pid = Number(d.docker(['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim());
  const runtimeRecord = join(d.execRoot, 'runtime-crun', id);
  assert.ok(existsSync(upper) && existsSync(runtimeRecord) && readFileSync('/proc/self/mountinfo', 'utf8').includes(merged));

  // What `rm -f` leaves if the daemon dies right after dropping the container's record: the
  // process killed, the record gone, the runtime's state, the rootfs mount and the layer still there.
  await d.kill9();
  process.kill(pid, 'SIGKILL');
  await waitFor('the container process to end', () => !existsSync(`/proc/${pid}`));
  rmSync(join(d.dataRoot, 'containers', id), { recursive: true, force: true });

  await d.start();
  assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '');
  assert.ok(!existsSync(dirname(upper)), `layer dir ${dirname(upper)} reclaimed`);
  assert.ok(!existsSync(join(d.dataRoot, 'image', 'overlay2', 'layerdb', 'mounts', id)), 'layer record reclaimed');
  assert.ok(!existsSync(runtimeRecord), 'runtime record reclaimed');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(merged), 'rootfs unmounted');
  assert.equal(d.docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'still fine']).stdout, 'still fine\n');
});
