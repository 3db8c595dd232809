// The security defaults every container gets, each shown against the run that lacks it: the
// default capability set, the default seccomp profile (calls that need no capability, so only
// seccomp can stop them), masked and read-only /proc and /sys paths, no-new-privileges against a
// setuid-root binary, --read-only roots, and the CVE-2024-21626 class (-w /proc/self/fd/N).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar } from './harness.js';

let d: TestDaemon;
/** Static helpers built with gcc; undefined (and the tests that need them skipped) when gcc cannot. */
let helpers: { keyctl: string; euid: string } | undefined;
let helperProblem = '';

const KEYCTL_C = `
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  /* KEYCTL_GET_KEYRING_ID (0) of the session keyring (-3), creating it: needs no capability. */
  long r = syscall(SYS_keyctl, 0, -3, 1);
  if (r < 0) { printf("keyctl: errno %d (%s)\\n", errno, strerror(errno)); return 1; }
  printf("keyctl: ok\\n");
  return 0;
}
`;

const EUID_C = `
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("uid=%d euid=%d\\n", (int)getuid(), (int)geteuid()); return 0; }
`;

function buildHelpers(dir: string): void {
  const out: Record<string, string> = {};
  for (const [name, src] of [['keyctl', KEYCTL_C], ['euid', EUID_C]] as const) {
    const c = join(dir, `${name}.c`);
    writeFileSync(c, src);
    const bin = join(dir, `${name}-helper`);
    const r = spawnSync('gcc', ['-static', '-O1', '-o', bin, c], { encoding: 'utf8' });
    if (r.status !== 0) {
      helperProblem = `gcc -static failed (install libc6-dev for static glibc): ${r.stderr || r.error}`;
      return;
    }
    out[name] = bin;
  }
  helpers = { keyctl: out.keyctl!, euid: out.euid! };
}

function run(args: string[]): { code: number; out: string } {
  const r = d.docker(['run', '--rm', ...args]);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** Creates a container, copies `file` into it as `dest` with `mode`, starts it attached. */
function runWithFile(createArgs: string[], file: string, dest: string, mode: number): { code: number; out: string } {
  const c = d.docker(['create', ...createArgs]);
  assert.equal(c.code, 0, c.stderr);
  const id = c.stdout.trim();
  try {
    chmodSync(file, mode);
    const cp = d.docker(['cp', file, `${id}:${dest}`]);
    assert.equal(cp.code, 0, cp.stderr);
    const s = d.docker(['start', '-a', id]);
    return { code: s.code, out: s.stdout + s.stderr };
  } finally {
    d.docker(['rm', '-f', id]);
  }
}

before(async () => {
  d = new TestDaemon();
  await d.start();
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
  buildHelpers(d.root);
});

after(async () => {
  await d?.stop();
});

test('default capabilities are Docker\'s 14: CapEff a80425fb, no CAP_SYS_ADMIN or CAP_NET_ADMIN', () => {
  const caps = run(['busybox', 'grep', '^CapEff', '/proc/self/status']);
  assert.equal(caps.out.trim(), 'CapEff:\t00000000a80425fb');
  const priv = run(['--privileged', 'busybox', 'grep', '^CapEff', '/proc/self/status']);
  assert.notEqual(priv.out.trim(), caps.out.trim(), 'the check itself must see a different set when privileged');

  // CAP_NET_ADMIN: creating a link is refused by default, allowed once the capability is added.
  const ip = run(['busybox', 'ip', 'link', 'add', 'bv0', 'type', 'veth', 'peer', 'name', 'bv1']);
  assert.notEqual(ip.code, 0);
  assert.match(ip.out, /Operation not permitted/);
  const ipAllowed = run(['--cap-add', 'NET_ADMIN', 'busybox', 'ip', 'link', 'add', 'bv0', 'type', 'veth', 'peer', 'name', 'bv1']);
  assert.equal(ipAllowed.code, 0, ipAllowed.out);

  // CAP_SYS_ADMIN: mounting is refused by default, allowed once the capability is added.
  const mnt = run(['busybox', 'mount', '-t', 'tmpfs', 'none', '/tmp']);
  assert.notEqual(mnt.code, 0);
  assert.match(mnt.out, /Operation not permitted|permission denied/i);
  const mntAllowed = run(['--cap-add', 'SYS_ADMIN', 'busybox', 'mount', '-t', 'tmpfs', 'none', '/tmp']);
  assert.equal(mntAllowed.code, 0, mntAllowed.out);
});

test('the default seccomp profile stops unshare -U for a non-root user (no capability involved)', () => {
  const blocked = run(['-u', '65534', 'busybox', 'unshare', '-U', 'true']);
  assert.notEqual(blocked.code, 0);
  assert.match(blocked.out, /Operation not permitted/);
  const unconfined = run(['-u', '65534', '--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-U', 'true']);
  assert.equal(unconfined.code, 0, `without seccomp the same call must succeed: ${unconfined.out}`);
});

test('the default seccomp profile blocks keyctl (static helper)', (t) => {
  if (!helpers) return t.skip(helperProblem);
  const blocked = runWithFile(['busybox', '/keyctl-helper'], helpers.keyctl, '/keyctl-helper', 0o755);
  assert.equal(blocked.code, 1, blocked.out);
  assert.match(blocked.out, /keyctl: errno 1 \(Operation not permitted\)/);
  const unconfined = runWithFile(['--security-opt', 'seccomp=unconfined', 'busybox', '/keyctl-helper'], helpers.keyctl, '/keyctl-helper', 0o755);
  assert.equal(unconfined.out.trim(), 'keyctl: ok');
});

test('masked paths read empty: /proc/keys, /proc/timer_list, /sys/firmware, /proc/kcore', () => {
  const script = 'for f in /proc/keys /proc/timer_list /proc/kcore; do [ -e $f ] && echo "$f $(cat $f | wc -c)"; done; echo "firmware $(ls -A /sys/firmware | wc -l)"';
  const masked = run(['busybox', 'sh', '-c', script]);
  assert.equal(masked.code, 0, masked.out);
  assert.match(masked.out, /^\/proc\/keys 0$/m);
  assert.match(masked.out, /^\/proc\/timer_list 0$/m);
  assert.match(masked.out, /^firmware 0$/m);
  assert.doesNotMatch(masked.out, /^\/proc\/kcore [1-9]/m);
  // The same files have content when nothing masks them (privileged containers are not masked).
  const open = run(['--privileged', 'busybox', 'sh', '-c', script]);
  assert.match(open.out, /^\/proc\/timer_list [1-9]/m);
  assert.match(open.out, /^firmware [1-9]/m);
});

test('read-only paths: writing /proc/sys or /proc/sysrq-trigger fails with EROFS', () => {
  // This kernel is built without magic SysRq: /proc/sysrq-trigger is checked only where it exists.
  const paths = ['/proc/sys/kernel/domainname', ...(existsSync('/proc/sysrq-trigger') ? ['/proc/sysrq-trigger'] : [])];
  for (const path of paths) {
    const r = run(['busybox', 'sh', '-c', `echo h > ${path}`]);
    assert.notEqual(r.code, 0, path);
    assert.match(r.out, /Read-only file system/, path);
  }
  const priv = run(['--privileged', 'busybox', 'sh', '-c', 'grep " /proc/sys " /proc/self/mountinfo || echo not-a-mount']);
  assert.doesNotMatch(priv.out, / ro[, ]/, 'privileged containers have a writable /proc/sys, so the check above is not vacuous');
});

test('no-new-privileges stops a setuid-root binary from gaining root', (t) => {
  if (!helpers) return t.skip(helperProblem);
  const gains = runWithFile(['-u', '65534', 'busybox', '/euid-helper'], helpers.euid, '/euid-helper', 0o4755);
  assert.equal(gains.out.trim(), 'uid=65534 euid=0', 'without no-new-privileges the setuid bit works (control)');
  const stopped = runWithFile(['-u', '65534', '--security-opt', 'no-new-privileges', 'busybox', '/euid-helper'], helpers.euid, '/euid-helper', 0o4755);
  assert.equal(stopped.out.trim(), 'uid=65534 euid=65534');
});

test('--read-only makes the root filesystem read-only', () => {
  const ro = run(['--read-only', 'busybox', 'touch', '/created']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.out, /Read-only file system/);
  const rw = run(['busybox', 'touch', '/created']);
  assert.equal(rw.code, 0, rw.out);
});

test('CVE-2024-21626: -w /proc/self/fd/N gives no handle on the host, with crun and with runc', () => {
  const rootLine = readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => l.startsWith('root:'))!;
  const runtimes = Object.keys(JSON.parse(d.docker(['info', '--format', '{{json .Runtimes}}']).stdout || '{}') as object).filter((r) => r === 'crun' || r === 'runc');
  assert.ok(runtimes.length > 0, 'no crun or runc runtime registered');
  console.log(`# runtimes checked: ${runtimes.join(', ')}`);
  for (const runtime of runtimes) {
    for (let fd = 3; fd <= 9; fd++) {
      const r = run(['--runtime', runtime, '-w', `/proc/self/fd/${fd}`, 'busybox', 'sh', '-c', 'pwd; cat ../../../../etc/shadow; echo END']);
      const where = `${runtime}, fd ${fd}`;
      assert.ok(!r.out.includes(rootLine), `${where}: the host's /etc/shadow leaked:\n${r.out}`);
      if (r.code === 125) {
        // What runc and crun do: refuse the working directory before the process starts.
        assert.match(r.out, /OCI runtime create failed|chdir|not a directory|no such file/i, where);
        continue;
      }
      // Otherwise the process must have started inside the container's own tree.
      assert.doesNotMatch(r.out.split('\n')[0]!, /^\/proc\/self\/fd|^\/(?:run|var|tmp)\//, `${where}: ${r.out}`);
    }
  }
});
