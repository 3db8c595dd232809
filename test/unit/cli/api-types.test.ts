// Inspect templates over Go-typed values: what `docker inspect -f` prints for the API structs it
// decodes into (field order, nil pointers, typed nil slices, durations, encoding/json names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typedInspect } from '../../../src/cli/api-types.js';
import { parseDockerTemplate } from '../../../src/cli/template/index.js';
import { durationString } from '../../../src/cli/template/typed.js';

const container = {
  Id: 'abc',
  State: { Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 3, Error: '', StartedAt: 'S', FinishedAt: 'F' },
  Mounts: [{ Type: 'volume', Name: 'v1', Source: '/var/v1', Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }],
  Config: { Image: 'busybox', Labels: { a: 'b' }, Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 90_000_000_000, Retries: 3 } },
  HostConfig: {
    LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
    PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
  },
  NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '90/tcp': null } },
};

const render = (format: string, raw: object = container): string => parseDockerTemplate(format).execute(typedInspect('container', raw));

test('struct values print in Go field order, a pointer followed at the top and shown as &{…} by print', () => {
  assert.equal(render('{{.State}}'), '{exited false false false false false 0 3  S F <nil>}');
  assert.equal(render('{{print .State}}'), '&{exited false false false false false 0 3  S F <nil>}');
  assert.equal(render('{{.HostConfig.RestartPolicy}} {{.HostConfig.LogConfig}}'), '{on-failure 2} {json-file map[max-size:1m]}');
  assert.equal(render('{{.Mounts}}'), '[{volume v1 /var/v1 /data local z true }]');
});

test('port maps print their bindings; an exposed port without one is a nil slice', () => {
  assert.equal(render('{{.HostConfig.PortBindings}}'), 'map[80/tcp:[{127.0.0.1 8080}]]');
  assert.equal(render('{{.NetworkSettings.Ports}}'), 'map[80/tcp:[{127.0.0.1 8080}] 90/tcp:[]]');
  assert.equal(render('{{json .NetworkSettings.Ports}}'), '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"90/tcp":null}');
});

test('a healthcheck prints its durations as Go does and marshals them as nanoseconds, omitting empty fields', () => {
  assert.equal(render('{{.Config.Healthcheck}}'), '{[CMD-SHELL true] 1m30s 0s 0s 0s 3}');
  assert.equal(render('{{.Config.Healthcheck.Interval}}'), '1m30s');
  assert.equal(render('{{json .Config.Healthcheck}}'), '{"Test":["CMD-SHELL","true"],"Interval":90000000000,"Retries":3}');
});

test('fields the daemon left out are Go zero values: nil pointers print <nil>, nil maps map[]', () => {
  const bare = { ...container, Config: { Image: 'busybox' } };
  assert.equal(render('{{.Config.Healthcheck}} {{.Config.ExposedPorts}} {{json .Config.Healthcheck}}', bare), '<nil> map[] null');
  assert.equal(render('{{if .Config.Healthcheck}}yes{{else}}no{{end}}', bare), 'no');
});

test('a missing map key is <no value>; a missing struct field fails, so inspect falls back to the raw JSON', () => {
  assert.equal(render('{{.Config.Labels.nope}}'), '<no value>');
  assert.throws(() => render('{{.Config.Nope}}'), /can't evaluate field Nope/);
});

test('durations read as time.Duration.String does', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [999, '999ns'],
    [1500, '1.5µs'],
    [2_500_000, '2.5ms'],
    [30e9, '30s'],
    [1.5e9, '1.5s'],
    [3600e9, '1h0m0s'],
    [3723.5e9, '1h2m3.5s'],
    [-60e9, '-1m0s'],
  ];
  for (const [ns, text] of cases) assert.equal(durationString(ns), text, String(ns));
});
