// berth next to docker, command line by command line, against the same berthd: the same stdout,
// the same stderr class (empty or not; the same first line) and the same exit code. Commands that
// create objects get fresh names per side ({n} below). The normaliser is explicit and small: per
// case it may blank relative times, IDs of objects the case created, the Client section of
// version/info, and the program's own name in usage lines (berth calls itself berth).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, freePort, type RunResult } from './harness.js';

const d = new TestDaemon();

type Norm = 'times' | 'ids' | 'client' | 'tagRows';
interface Case {
  args: string[];
  norm?: Norm[];
  input?: string;
  /** Runs (through docker) before each side, with that side's placeholder values. */
  setup?: (v: Vars) => void;
}
type Vars = Record<string, string>;

const run = Date.now().toString(36);
let tmp = '';
let port = 0;
let t0 = 0;
let t1 = 0;

function ok(r: RunResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr}`);
  return r.stdout.trim();
}

after(async () => {
  await d.stop();
});

before(async () => {
  // One hook does it all: separate root-level hooks may overlap.
  await d.start();
  ok(d.docker(['import', busyboxTar(d.root), 'busybox']), 'import busybox');
  tmp = join(d.root, 'matrix');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'hello.txt'), 'hello\n');
  port = await freePort();
  t0 = Math.floor(Date.now() / 1000) - 1;
  ok(d.docker(['run', '-d', '--name', 'mx-web', '-e', 'FOO=bar', '-e', 'EMPTY=', '-l', 'team=a', '-l', 'tier=front', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '600']), 'run mx-web');
  ok(d.docker(['exec', 'mx-web', 'touch', '/tmp/touched']), 'exec touch');
  const done = d.docker(['run', '--name', 'mx-done', '-l', 'team=b', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(done.code, 3, done.stderr);
  ok(d.docker(['volume', 'create', '--label', 'mx=fixture', 'mx-vol']), 'volume create');
  ok(d.docker(['network', 'create', '--label', 'mx=fixture', 'mx-net']), 'network create');
  ok(d.docker(['tag', 'busybox', 'mx-img:v1']), 'tag');
  ok(d.docker(['save', '-o', join(tmp, 'bb.tar'), 'busybox']), 'save');
  t1 = Math.ceil(Date.now() / 1000) + 1;
  while (Date.now() / 1000 <= t1) await new Promise((r) => setTimeout(r, 100));
});

const created = (v: Vars): void => void ok(d.docker(['create', '--name', v.n!, 'busybox', 'sleep', '600']), `create ${v.n}`);
const running = (v: Vars): void => void ok(d.docker(['run', '-d', '--name', v.n!, 'busybox', 'sleep', '600']), `run ${v.n}`);

/** The matrix: every berth command with its main flags and Docker-style --format templates. */
const cases: Case[] = [
  // containers
  { args: ['ps'], norm: ['times'] },
  { args: ['ps', '-a', '--filter', 'label=team=a'], norm: ['times'] },
  { args: ['ps', '-a', '--filter', 'name=mx-', '--format', 'table {{.ID}}\t{{.Names}}'] },
  { args: ['ps', '-a', '-q', '--no-trunc', '--filter', 'name=mx-done'] },
  { args: ['ps', '--filter', 'name=mx-web', '--format', '{{json .}}'], norm: ['times'] },
  { args: ['ps', '-a', '--filter', 'name=mx-', '--format', '{{.Names}}|{{.Image}}|{{.Command}}|{{.Labels}}|{{.Ports}}|{{.State}}'] },
  { args: ['ps', '-a', '--filter', 'name=mx-done', '--format', '{{.Names}} {{.Status}}'], norm: ['times'] },
  { args: ['container', 'ls', '-n', '1', '--format', '{{.Foo}}'] },
  { args: ['ps', '--format', '{{json .'] },
  // docker runs --format over an empty container before listing: errors even when nothing matches.
  { args: ['ps', '-a', '--filter', 'name=no-such-container', '--format', '{{.Foo}}'] },
  { args: ['ps', '-a', '--filter', 'name=mx-done', '--format', '{{range .Names}}{{.}}{{end}}'] },
  { args: ['ps', '-a', '--filter', 'name=mx-done', '--format', 'json'], norm: ['times'] },
  { args: ['ps', 'extra'] },
  { args: ['ps', '--bogus'] },
  { args: ['inspect', '-f', '{{.Config.Env}}', 'mx-web'] },
  { args: ['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', 'mx-web'] },
  { args: ['inspect', '-f', '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', 'mx-web'] },
  { args: ['inspect', '-f', '{{json .Config.Labels}} {{.State.Status}} {{json .HostConfig.PortBindings}}', 'mx-web'] },
  { args: ['container', 'inspect', '-f', '{{.State.ExitCode}} {{.Name}}', 'mx-done', 'mx-web'] },
  { args: ['inspect', '-f', '{{.State.Status}}', 'busybox', 'mx-web', 'nosuch'] },
  { args: ['inspect', '-f', '{{.Foo', 'mx-web'] },
  // Go's printing of the typed API structs docker decodes inspect answers into.
  { args: ['inspect', '-f', '{{.HostConfig.PortBindings}} {{.NetworkSettings.Ports}}', 'mx-web'] },
  { args: ['inspect', '-f', '{{.State}}|{{.HostConfig.RestartPolicy}}|{{.HostConfig.LogConfig}}|{{.Config.Healthcheck}}', 'mx-done'] },
  { args: ['inspect', '-f', '{{.Config.Labels.nope}} {{.Config.ExposedPorts}}', 'mx-web'] },
  { args: ['inspect', '-f', 'json', 'mx-done'] },
  {
    args: ['container', 'inspect', '-f', '{{.Config.Healthcheck}} {{json .Config.Healthcheck}} {{.Mounts}} {{.HostConfig.RestartPolicy}}', '{n}'],
    setup: (v) => void ok(d.docker(['create', '--name', v.n!, '-v', `${v.n}:/data`, '--restart', 'on-failure:2', '--health-cmd', 'true', '--health-interval', '90s', '--health-retries', '3', 'busybox', 'true']), `create ${v.n}`),
  },
  { args: ['inspect', '--type', 'volume', 'mx-web'] },
  { args: ['inspect', 'no-such-thing'] },
  { args: ['logs', 'mx-done'] },
  { args: ['logs', '--tail', '1', 'mx-done'] },
  { args: ['wait', 'mx-done'] },
  { args: ['port', 'mx-web'], norm: [] },
  { args: ['port', 'mx-web', '80/tcp'] },
  { args: ['port', 'mx-web', '81'] },
  { args: ['top', 'mx-web', '-o', 'pid,comm,args'] },
  { args: ['diff', 'mx-web'] },
  { args: ['exec', 'mx-web', 'sh', '-c', 'echo $FOO; echo oops >&2; exit 5'] },
  { args: ['exec', 'nosuch', 'true'] },
  { args: ['run', '--rm', '-e', 'A=1', 'busybox', 'sh', '-c', 'echo $A; exit 2'] },
  { args: ['run', '-d', '--name', '{n}', 'busybox', 'true'], norm: ['ids'] },
  { args: ['run', '--bogus', 'busybox'] },
  { args: ['create', '--name', '{n}', '-l', 'x=y', 'busybox', 'echo'], norm: ['ids'] },
  { args: ['start', '{n}'], setup: created },
  { args: ['stop', '-t', '1', '{n}'], setup: running },
  { args: ['kill', '{n}', 'nosuch'], setup: running },
  { args: ['restart', '-t', '0', '{n}'], setup: running },
  { args: ['pause', '{n}'], setup: running },
  { args: ['unpause', '{n}'], setup: (v) => (running(v), void ok(d.docker(['pause', v.n!]), 'pause')) },
  { args: ['rename', '{n}', '{n}-renamed'], setup: created },
  { args: ['rename', 'nosuch', 'other'] },
  { args: ['rm', '{n}'], setup: created },
  { args: ['rm', '-f', 'nosuch'] },
  { args: ['rm'] },
  { args: ['update', '--cpus', '0.5', '{n}'], setup: created },
  { args: ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'mx-web'] },
  { args: ['attach', 'mx-done'] },
  { args: ['cp', 'mx-web:/etc/passwd', '-'] },
  { args: ['cp', '{tmp}/hello.txt', 'mx-web:/tmp/{n}.txt'] },
  { args: ['cp', 'mx-web:/nonexistent', '{tmp}/'] },
  { args: ['cp', 'a:/x', 'b:/y'] },
  { args: ['export', '-o', '{tmp}/{n}.tar', 'mx-done'] },
  { args: ['export', '-o', '/nonexistent-dir/x.tar', 'mx-done'] },
  { args: ['commit', '-m', 'msg', '-a', 'me', '-c', 'ENV X=1', 'mx-done', '{n}:v1'], norm: ['ids'] },
  { args: ['container', 'prune', '-f', '--filter', 'label=mx={n}'], norm: ['ids'], setup: (v) => void ok(d.docker(['run', '-l', `mx=${v.n}`, 'busybox', 'true']), 'run') },
  { args: ['container', 'prune'], input: '' },
  // images
  { args: ['images'], norm: ['times', 'tagRows'] },
  { args: ['images', '-q', 'busybox'] },
  { args: ['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}', 'mx-img'] },
  { args: ['image', 'ls', '--format', 'json', 'busybox'], norm: ['times'] },
  { args: ['images', '--format', '{{.Foo}}'] },
  { args: ['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', 'busybox'] },
  { args: ['history', 'busybox'], norm: ['times'] },
  { args: ['history', '-q', '--no-trunc', 'busybox'] },
  { args: ['history', '--format', '{{json .}}', 'busybox'], norm: ['times'] },
  { args: ['history', '-H=false', '--format', 'table {{.ID}}\t{{.Size}}\t{{.Comment}}', 'busybox'] },
  { args: ['tag', 'busybox', '{n}:v2'] },
  { args: ['tag', 'busybox', 'BAD:x'] },
  { args: ['tag', 'nosuch', 'x:y'] },
  { args: ['rmi', '{n}:v1'], setup: (v) => void ok(d.docker(['tag', 'busybox', `${v.n}:v1`]), 'tag') },
  { args: ['rmi', 'nosuch'] },
  { args: ['rmi', '-f', 'nosuch'] },
  { args: ['save', 'busybox'] },
  { args: ['save', '-o', '{tmp}/{n}.tar', 'mx-img:v1'] },
  { args: ['load', '-i', '{tmp}/bb.tar'] },
  { args: ['load', '-q'], input: '' },
  { args: ['load', '-i', '/nonexistent.tar'] },
  { args: ['image', 'prune', '-f', '--filter', 'label=mx={n}'], norm: ['ids'], setup: (v) => void ok(d.docker(['commit', '-c', `LABEL mx=${v.n}`, 'mx-done']), 'commit') },
  { args: ['image', 'prune', '-a'], input: 'n\n' },
  // networks
  { args: ['network', 'create', '--label', 'a=b', '--subnet', '{sub}', '--gateway', '{gw}', '{n}'], norm: ['ids'] },
  { args: ['network', 'create', '--gateway', '10.99.0.1', 'nogw'] },
  { args: ['network', 'ls', '--filter', 'label=mx=fixture'] },
  { args: ['network', 'ls', '--filter', 'name=mx-net', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.Labels}}'] },
  { args: ['network', 'ls', '-q', '--no-trunc', '--filter', 'driver=host'] },
  { args: ['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}}{{end}}', 'bridge', 'mx-net'] },
  { args: ['network', 'connect', '--alias', 'a1', '{n}', 'mx-done'], setup: (v) => void ok(d.docker(['network', 'create', v.n!]), 'network create') },
  { args: ['network', 'disconnect', 'mx-net', 'nosuch'] },
  { args: ['network', 'rm', '{n}', 'nosuch'], setup: (v) => void ok(d.docker(['network', 'create', v.n!]), 'network create') },
  { args: ['network', 'rm', '-f', 'nosuch'] },
  { args: ['network', 'prune', '-f', '--filter', 'label=mx={n}'], setup: (v) => void ok(d.docker(['network', 'create', '--label', `mx=${v.n}`, v.n!]), 'network create') },
  // volumes
  { args: ['volume', 'create', '--label', 'a=b', '{n}'] },
  { args: ['volume', 'ls', '--filter', 'label=mx=fixture'] },
  { args: ['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Labels}}', 'mx-vol'] },
  { args: ['volume', 'rm', 'nosuch'] },
  { args: ['volume', 'prune', '-f', '-a', '--filter', 'label=mx={n}'], setup: (v) => void ok(d.docker(['volume', 'create', '--label', `mx=${v.n}`, v.n!]), 'volume create') },
  // system
  { args: ['version'], norm: ['client'] },
  { args: ['version', '--format', '{{.Server.Version}} {{.Server.Os}}'] },
  { args: ['version', '-f', '{{.Foo}}'] },
  { args: ['info', '--format', '{{.Driver}} {{.OSType}} {{json .Name}}'] },
  { args: ['info'], norm: ['client'] },
  { args: ['system', 'df', '--format', '{{.Type}} {{.TotalCount}}'] },
  { args: ['system', 'df'] },
  { args: ['system', 'df', '--format', '{{json .}}'] },
  { args: ['system', 'df', '-v'], norm: ['times'] },
  { args: ['events', '--since', '{t0}', '--until', '{t1}', '--filter', 'container=mx-web'] },
  { args: ['system', 'events', '--since', '{t0}', '--until', '{t1}', '--filter', 'type=volume', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}'] },
  { args: ['system', 'prune'], input: '' },
  // help and usage
  { args: ['cp', '--help'] },
  { args: ['network', 'create', '--help'] },
  { args: ['history', '--help'] },
  { args: ['network', '--help'] },
  { args: ['image', '--help'] },
];

function sideVars(side: 'docker' | 'berth', i: number): Vars {
  return {
    n: `mx${i}-${run}-${side}`,
    tmp,
    sub: side === 'docker' ? '10.231.17.0/24' : '10.231.18.0/24',
    gw: side === 'docker' ? '10.231.17.254' : '10.231.18.254',
    t0: String(t0),
    t1: String(t1),
  };
}

const fill = (s: string, v: Vars): string => s.replace(/\{(\w+)\}/g, (m, k: string) => v[k] ?? m);

function normalise(text: string, v: Vars, norm: Norm[], self: 'docker' | 'berth'): string {
  let s = text;
  // The placeholders back: each side's own names, paths and subnets.
  for (const [k, val] of Object.entries(v).sort((a, b) => b[1].length - a[1].length)) if (val) s = s.split(val).join(`{${k}}`);
  // berth names itself in usage and error lines ("berth: 'berth rm' requires …").
  if (self === 'berth') s = s.replace(/(^|[\s'])berth(?=[\s:])/gm, '$1docker');
  if (norm.includes('client')) {
    s = s.slice(s.indexOf('\nServer:') + 1);
    // docker lists runtimes in Go map order, which changes from call to call.
    s = s.replace(/^( Runtimes:)(.*)$/m, (_m, head: string, names: string) => head + ' ' + names.trim().split(' ').sort().join(' '));
  }
  if (norm.includes('tagRows')) {
    // docker lists an image's repositories in Go map order, which changes from call to call:
    // the rows of one image (same IMAGE ID, next to each other) are compared as a set.
    const lines = s.split('\n');
    const id = (l: string) => l.match(/\b[0-9a-f]{12}\b/)?.[0];
    for (let i = 1; i < lines.length; ) {
      let j = i + 1;
      while (j < lines.length && id(lines[i]!) && id(lines[j]!) === id(lines[i]!)) j++;
      lines.splice(i, j - i, ...lines.slice(i, j).sort());
      i = j;
    }
    s = lines.join('\n');
  }
  if (norm.includes('ids')) s = s.replace(/\b[0-9a-f]{64}\b/g, '<id>').replace(/\b[0-9a-f]{12}\b/g, '<id>');
  if (norm.includes('times')) {
    const span = '(Less than a second|About an? (minute|hour)|\\d+ (seconds?|minutes?|hours?))';
    s = s.replace(new RegExp(`${span} ago`, 'g'), '<t> ago').replace(new RegExp(`Up ${span}`, 'g'), 'Up <t>');
    // Table padding follows the width of the time columns.
    s = s.replace(/ {2,}/g, '  ');
  }
  return s;
}

test(`berth and docker agree on ${cases.length} command lines`, () => {
  assert.ok(cases.length >= 60);
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    const results = (['docker', 'berth'] as const).map((side) => {
      const v = sideVars(side, i);
      c.setup?.(v);
      const args = c.args.map((a) => fill(a, v));
      const r = side === 'docker' ? d.docker(args, { input: c.input }) : d.berth(args, { input: c.input });
      const norm = c.norm ?? [];
      return { r, out: normalise(r.stdout, v, norm, side), err: normalise(r.stderr, v, norm, side).split('\n')[0]! };
    });
    const [dk, bt] = results as [(typeof results)[0], (typeof results)[0]];
    const label = `#${i} ${c.args.join(' ')}`;
    if (bt.r.code !== dk.r.code) mismatches.push(`${label}: exit ${bt.r.code}, docker ${dk.r.code} (${bt.r.stderr.trim() || dk.r.stderr.trim()})`);
    if (bt.out !== dk.out) mismatches.push(`${label}: stdout\n--- docker\n${dk.out}\n--- berth\n${bt.out}`);
    if ((bt.r.stderr === '') !== (dk.r.stderr === '')) mismatches.push(`${label}: stderr ${JSON.stringify(bt.r.stderr)}, docker ${JSON.stringify(dk.r.stderr)}`);
    else if (bt.err !== dk.err) mismatches.push(`${label}: stderr first line ${JSON.stringify(bt.err)}, docker ${JSON.stringify(dk.err)}`);
  });
  assert.deepEqual(mismatches, []);
});
