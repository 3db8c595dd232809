// The berth CLI's client configuration next to docker's: contexts created by either CLI are the
// same files and list, inspect, use and remove the same way; a context, DOCKER_CONTEXT or
// currentContext picks the daemon; login/logout go through a credential helper (a fake one this
// test writes) with docker's protocol; psFormat and imagesFormat from config.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TestDaemon, busyboxTar, DOCKER, REPO, freePort, type RunResult } from './harness.js';
import { berthRegistry } from './registry-helpers.js';

const d = new TestDaemon();
let tmp = '';
const children: ChildProcess[] = [];

type Side = 'docker' | 'berth';

function cli(side: Side, args: string[], env: NodeJS.ProcessEnv): RunResult {
  const r = side === 'docker'
    ? spawnSync(DOCKER, args, { env, timeout: 60_000 })
    : spawnSync(process.execPath, [join(REPO, 'bin/berth'), ...args], { env, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** The daemon's environment with a config directory of this side's own, and without DOCKER_HOST when asked. */
function envFor(side: Side, opts: { noHost?: boolean; extra?: NodeJS.ProcessEnv; configName?: string } = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...d.env, DOCKER_CONFIG: join(tmp, opts.configName ?? `cfg-${side}`), ...opts.extra };
  if (opts.noHost) {
    delete env.DOCKER_HOST;
    delete env.BERTH_HOST;
  }
  return env;
}

/** Both CLIs, each on its own config directory: the same output (paths normalised) and exit code. */
function same(args: string[], opts: { noHost?: boolean } = {}): RunResult {
  const results = (['docker', 'berth'] as const).map((side) => {
    const r = cli(side, args, envFor(side, opts));
    const dir = join(tmp, `cfg-${side}`);
    return { code: r.code, stdout: r.stdout.replaceAll(dir, 'CFG'), stderr: r.stderr.replaceAll(dir, 'CFG') };
  });
  assert.deepEqual(results[1], results[0], `berth ${args.join(' ')}`);
  return results[1]!;
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    for (const name of readdirSync(p)) {
      const full = join(p, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else out[relative(dir, full)] = `${(st.mode & 0o777).toString(8)} ${readFileSync(full, 'base64')}`;
    }
  };
  walk(dir);
  return out;
}

before(async () => {
  await d.start();
  tmp = join(d.root, 'cli-config');
  mkdirSync(tmp, { recursive: true });
  assert.equal(d.docker(['import', busyboxTar(d.root), 'busybox']).code, 0);
  // A self-signed certificate pair to store in contexts (never dialled).
  const certs = join(tmp, 'certs');
  mkdirSync(certs);
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem'), '-days', '1', '-subj', '/CN=berth-test']);
  assert.equal(gen.status, 0, gen.stderr?.toString());
  writeFileSync(join(certs, 'ca.pem'), readFileSync(join(certs, 'cert.pem')));
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await d.stop();
});

test('contexts: create, ls, inspect, use, show and rm as docker, in the same files', () => {
  const certs = join(tmp, 'certs');
  same(['context', 'create', 'remote', '--description', 'a remote one', '--docker', 'host=tcp://192.0.2.10:2375']);
  same(['context', 'create', 'secure', '--docker', `host=tcp://192.0.2.11:2376,ca=${certs}/ca.pem,cert=${certs}/cert.pem,key=${certs}/key.pem`]);
  same(['context', 'create', 'skip2', '--docker', 'host=tcp://192.0.2.12:2376,skip-tls-verify=true']);
  same(['context', 'create', 'skip10', '--from', 'skip2', '--description', 'copied']);
  same(['context', 'create', 'fromenv']);
  // The store is byte for byte docker's: meta.json under the name's sha256, TLS files beside it.
  assert.deepEqual(tree(join(tmp, 'cfg-berth', 'contexts')), tree(join(tmp, 'cfg-docker', 'contexts')));

  const ls = same(['context', 'ls']);
  assert.match(ls.stdout, /^default \* +Current DOCKER_HOST based configuration +unix:\/\//m);
  assert.match(ls.stderr, /DOCKER_HOST environment variable overrides the active context/);
  // Natural order: skip2 before skip10.
  assert.ok(ls.stdout.indexOf('skip2') < ls.stdout.indexOf('skip10'));
  same(['context', 'ls', '--format', 'json']);
  same(['context', 'ls', '-q']);
  same(['context', 'ls', '--format', '{{.Name}}\t{{.Current}}\t{{.DockerEndpoint}}']);
  const inspect = same(['context', 'inspect', 'remote', 'secure', 'skip2', 'fromenv']);
  assert.deepEqual(JSON.parse(inspect.stdout)[1].TLSMaterial, { docker: ['ca.pem', 'cert.pem', 'key.pem'] });
  same(['context', 'inspect']);
  same(['context', 'inspect', '-f', '{{.Name}} {{.Endpoints.docker.Host}} {{.Endpoints.docker.SkipTLSVerify}}', 'skip10']);
  same(['context', 'inspect', 'missing']);
  same(['-c', 'secure', 'context', 'ls', '-q', '--format', '{{.Name}}']);
  same(['-c', 'secure', 'context', 'show']);

  // Refusals, with docker's texts and nothing created.
  same(['context', 'create', 'remote', '--docker', 'host=tcp://192.0.2.10:2375']);
  same(['context', 'create', 'default']);
  same(['context', 'create', 'bad name']);
  same(['context', 'create', 'x1', '--docker', 'nokey=1']);
  same(['context', 'create', 'x2', '--docker', 'host=tcp://a:1,skip-tls-verify=maybe']);
  same(['context', 'create', 'x3', '--docker', `host=tcp://a:1,ca=${tmp}/absent.pem`]);
  same(['context', 'create', 'x4', '--docker', 'host=bogus']);
  same(['context', 'create', 'x5', '--from', 'remote', '--docker', 'host=tcp://a:1']);
  assert.deepEqual(tree(join(tmp, 'cfg-berth', 'contexts')), tree(join(tmp, 'cfg-docker', 'contexts')));

  // Without DOCKER_HOST the current context comes from config.json, and use/rm manage it.
  same(['context', 'use', 'remote'], { noHost: true });
  assert.equal(readFileSync(join(tmp, 'cfg-berth', 'config.json'), 'utf8'), readFileSync(join(tmp, 'cfg-docker', 'config.json'), 'utf8'));
  assert.equal(same(['context', 'show'], { noHost: true }).stdout, 'remote\n');
  same(['context', 'ls', '--format', '{{.Name}} {{.Current}}'], { noHost: true });
  same(['context', 'use', 'missing'], { noHost: true });
  same(['context', 'use'], { noHost: true });
  same(['context', 'rm', 'remote'], { noHost: true });
  same(['context', 'rm', 'default', 'nothere'], { noHost: true });
  same(['context', 'rm', '-f', 'remote', 'skip10'], { noHost: true });
  assert.equal(readFileSync(join(tmp, 'cfg-berth', 'config.json'), 'utf8'), readFileSync(join(tmp, 'cfg-docker', 'config.json'), 'utf8'));
  same(['context', 'show'], { noHost: true });
  same(['-H', 'unix:///nowhere.sock', '-c', 'secure', 'version']);
  same(['-c', 'missing', 'version']);
});

test('a context, DOCKER_CONTEXT and currentContext choose the daemon berth talks to', () => {
  const name = `here-${process.pid}`;
  const env = envFor('berth', { noHost: true, configName: 'cfg-use' });
  assert.equal(cli('berth', ['context', 'create', name, '--docker', `host=unix://${d.socket}`], env).code, 0);
  const os = (args: string[], e: NodeJS.ProcessEnv): string => {
    const r = cli('berth', [...args, 'version', '--format', '{{.Server.Os}}'], e);
    return r.stdout + r.stderr;
  };
  // Without a context berth dials its default socket, which this test's daemon does not own.
  const missing = cli('berth', ['-H', `unix://${tmp}/absent.sock`, 'ps'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot connect/);
  assert.equal(os(['-c', name], env), 'linux\n');
  assert.equal(os([], { ...env, DOCKER_CONTEXT: name }), 'linux\n');
  assert.equal(cli('berth', ['context', 'use', name], env).code, 0);
  assert.equal(os([], env), 'linux\n');
  // docker reads the same context berth wrote.
  assert.equal(cli('docker', ['version', '--format', '{{.Server.Os}}'], env).stdout, 'linux\n');
  // DOCKER_HOST still wins over currentContext; --context wins over DOCKER_HOST.
  const bad = cli('berth', ['ps'], { ...env, DOCKER_HOST: `unix://${tmp}/absent.sock` });
  assert.equal(bad.code, 1);
  assert.equal(os(['--context', name], { ...env, DOCKER_HOST: `unix://${tmp}/absent.sock` }), 'linux\n');
  // --config points at another directory entirely: no context there.
  const other = cli('berth', ['--config', join(tmp, 'empty-config'), 'context', 'show'], env);
  assert.equal(other.stdout, 'default\n');
});

test('psFormat and imagesFormat in config.json format ps and images as docker does', () => {
  assert.equal(d.docker(['create', '--name', `fmt-${process.pid}`, 'busybox', 'true']).code, 0);
  for (const side of ['docker', 'berth'] as const) {
    const dir = join(tmp, `cfg-fmt-${side}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ psFormat: 'table {{.Names}}\t{{.Image}}', imagesFormat: '{{.Repository}}:{{.Tag}}' }));
  }
  for (const args of [['ps', '-a'], ['ps', '-a', '-q'], ['ps', '-a', '--format', '{{.Names}}'], ['images'], ['images', '-q']]) {
    const [a, b] = (['docker', 'berth'] as const).map((side) => cli(side, args, envFor(side, { configName: `cfg-fmt-${side}` })));
    assert.deepEqual(b, a, args.join(' '));
  }
  const ps = cli('berth', ['ps', '-a'], envFor('berth', { configName: 'cfg-fmt-berth' }));
  assert.match(ps.stdout, /^NAMES +IMAGE\n/);
  assert.match(ps.stdout, new RegExp(`^fmt-${process.pid} +busybox$`, 'm'));
  assert.equal(cli('berth', ['images'], envFor('berth', { configName: 'cfg-fmt-berth' })).stdout, 'busybox:latest\n');
});

/** A credential helper speaking docker's protocol: one file per server, every call logged. */
function writeFakeHelper(binDir: string): void {
  mkdirSync(binDir, { recursive: true });
  const script = `#!/bin/sh
action="$1"; input=$(cat)
echo "$action $input" >> "$FAKE_CREDS_DIR/log"
key() { printf %s "$1" | tr '/:' '__'; }
case "$action" in
store) server=$(printf %s "$input" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p'); printf %s "$input" > "$FAKE_CREDS_DIR/$(key "$server")" ;;
get) f="$FAKE_CREDS_DIR/$(key "$input")"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
erase) f="$FAKE_CREDS_DIR/$(key "$input")"; if [ -f "$f" ]; then rm -f "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
list) echo '{}' ;;
*) echo "unknown action"; exit 1 ;;
esac
`;
  writeFileSync(join(binDir, 'docker-credential-berthtest'), script);
  chmodSync(join(binDir, 'docker-credential-berthtest'), 0o755);
}

test('login, push, pull and logout through a credsStore helper, as docker does', async () => {
  const { bcryptHash } = await import('../../src/distribution/registry/bcrypt.js');
  const regDir = join(tmp, 'registry');
  mkdirSync(regDir, { recursive: true });
  writeFileSync(join(regDir, 'htpasswd'), `alice:${bcryptHash('s3cret', '$2y$05$abcdefghijklmnopqrstuu')}\n`);
  const port = await freePort();
  const reg = await berthRegistry(children, join(regDir, 'data'), port, { REGISTRY_AUTH_HTPASSWD_REALM: 'test', REGISTRY_AUTH_HTPASSWD_PATH: join(regDir, 'htpasswd') });
  const bin = join(tmp, 'helper-bin');
  writeFakeHelper(bin);
  const server = `127.0.0.1:${port}`;
  const sides = {} as Record<Side, { env: NodeJS.ProcessEnv; creds: string; cfg: string }>;
  for (const side of ['docker', 'berth'] as const) {
    const cfg = join(tmp, `cfg-creds-${side}`);
    const creds = join(tmp, `creds-${side}`);
    mkdirSync(cfg, { recursive: true });
    mkdirSync(creds, { recursive: true });
    writeFileSync(join(cfg, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
    sides[side] = { env: envFor(side, { configName: `cfg-creds-${side}`, extra: { PATH: `${bin}:${process.env.PATH}`, FAKE_CREDS_DIR: creds } }), creds, cfg };
  }
  const both = (args: string[]): RunResult[] => (['docker', 'berth'] as const).map((side) => cli(side, args, sides[side].env));

  const [dl, bl] = both(['login', '-u', 'alice', '-p', 's3cret', `http://${server}/`]);
  assert.equal(dl!.code, 0, dl!.stderr);
  assert.deepEqual(bl, dl);
  // The secret went to the helper as docker's JSON; config.json keeps only an empty entry.
  const stored = readFileSync(join(sides.berth.creds, server.replaceAll(':', '_')), 'utf8');
  assert.deepEqual(JSON.parse(stored), { ServerURL: server, Username: 'alice', Secret: 's3cret' });
  assert.equal(stored, readFileSync(join(sides.docker.creds, server.replaceAll(':', '_')), 'utf8'));
  assert.equal(readFileSync(join(sides.berth.cfg, 'config.json'), 'utf8'), readFileSync(join(sides.docker.cfg, 'config.json'), 'utf8'));
  assert.doesNotMatch(readFileSync(join(sides.berth.cfg, 'config.json'), 'utf8'), /s3cret|YWxp/);

  // A push needs the credentials: berth asks the helper for them.
  const ref = `${server}/private/busybox:v1`;
  assert.equal(d.docker(['tag', 'busybox', ref]).code, 0);
  const push = cli('berth', ['push', ref], sides.berth.env);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(readFileSync(join(sides.berth.creds, 'log'), 'utf8'), new RegExp(`^get ${server.replace('.', '\\.')}$`, 'm'));
  assert.equal(d.docker(['rmi', ref]).code, 0);
  const pull = cli('berth', ['pull', ref], sides.berth.env);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.equal(pull.stdout.trim().split('\n').pop(), ref);

  const [dlo, blo] = both(['logout', server]);
  assert.deepEqual(blo, dlo);
  assert.equal(existsSync(join(sides.berth.creds, server.replaceAll(':', '_'))), false);
  assert.equal(readFileSync(join(sides.berth.cfg, 'config.json'), 'utf8'), readFileSync(join(sides.docker.cfg, 'config.json'), 'utf8'));
  // Logged out, the registry refuses the push again.
  const anon = cli('berth', ['push', ref], sides.berth.env);
  assert.equal(anon.code, 1);

  // A helper that is not installed fails login the way docker's does.
  for (const side of ['docker', 'berth'] as const) writeFileSync(join(sides[side].cfg, 'config.json'), JSON.stringify({ credsStore: 'absent' }));
  const [dm, bm] = both(['login', '-u', 'alice', '-p', 's3cret', server]);
  assert.equal(bm!.code, dm!.code);
  assert.equal(bm!.stderr, dm!.stderr);

  // Without a helper the file store keeps base64 credentials, with docker's warning.
  for (const side of ['docker', 'berth'] as const) writeFileSync(join(sides[side].cfg, 'config.json'), '{}');
  const [df, bf] = both(['login', '-u', 'alice', '-p', 's3cret', server]);
  assert.equal(df!.code, 0, df!.stderr);
  assert.deepEqual({ ...bf, stderr: bf!.stderr.replaceAll(sides.berth.cfg, 'CFG') }, { ...df, stderr: df!.stderr.replaceAll(sides.docker.cfg, 'CFG') });
  assert.equal(readFileSync(join(sides.berth.cfg, 'config.json'), 'utf8'), readFileSync(join(sides.docker.cfg, 'config.json'), 'utf8'));
  reg.kill('SIGKILL');
});
