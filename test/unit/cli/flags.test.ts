import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseFlags, type FlagSpec } from '../../../src/cli/flags.js';
import { containerFlags, runOnlyFlags } from '../../../src/cli/container-opts.js';

const specs: FlagSpec[] = [
  { name: 'all', short: 'a', kind: 'bool', help: '' },
  { name: 'quiet', short: 'q', kind: 'bool', help: '' },
  { name: 'env', short: 'e', kind: 'list', help: '' },
  { name: 'name', kind: 'string', help: '' },
  { name: 'last', short: 'n', kind: 'int', help: '', default: -1 },
  { name: 'memory', short: 'm', kind: 'bytes', help: '' },
  { name: 'interval', kind: 'duration', help: '' },
  { name: 'sysctl', kind: 'map', help: '' },
];

test('combined boolean shorthands set every flag', () => {
  const f = parseFlags(specs, ['-qa']);
  assert.equal(f.bool('all'), true);
  assert.equal(f.bool('quiet'), true);
});

test('a shorthand takes its value attached, after =, or from the next argument', () => {
  assert.deepEqual(parseFlags(specs, ['-eA=1']).list('env'), ['A=1']);
  assert.deepEqual(parseFlags(specs, ['-e=A=1']).list('env'), ['A=1']);
  assert.deepEqual(parseFlags(specs, ['-e', 'A=1']).list('env'), ['A=1']);
  // A boolean followed by a valued shorthand in one cluster: -an5
  const f = parseFlags(specs, ['-an5']);
  assert.equal(f.bool('all'), true);
  assert.equal(f.number('last'), 5);
});

test('long flags take --flag value and --flag=value; booleans accept =false', () => {
  const f = parseFlags(specs, ['--name', 'web', '--all=false', '--memory=32m', '--interval', '1m30s']);
  assert.equal(f.string('name'), 'web');
  assert.equal(f.bool('all'), false);
  assert.equal(f.changed('all'), true);
  assert.equal(f.number('memory'), 32 * 1024 * 1024);
  assert.equal(f.number('interval'), 90e9);
});

test('repeatable list and map flags accumulate in order', () => {
  const f = parseFlags(specs, ['-e', 'A=1', '--env', 'B=2', '--sysctl', 'net.x=1', '--sysctl=net.y=2']);
  assert.deepEqual(f.list('env'), ['A=1', 'B=2']);
  assert.deepEqual(f.map('sysctl'), { 'net.x': '1', 'net.y': '2' });
});

test('defaults apply to flags that were not given', () => {
  const f = parseFlags(specs, []);
  assert.equal(f.number('last'), -1);
  assert.equal(f.changed('last'), false);
});

test('-- ends flag parsing; later dashes are arguments', () => {
  const f = parseFlags(specs, ['-a', '--', '-q', 'x']);
  assert.equal(f.bool('quiet'), false);
  assert.deepEqual(f.args, ['-q', 'x']);
});

test('interspersed=false: everything after the image belongs to the container command', () => {
  const f = parseFlags([...containerFlags, ...runOnlyFlags], ['--rm', '-it', 'busybox', 'ls', '-la', '--rm'], { interspersed: false });
  assert.equal(f.bool('rm'), true);
  assert.equal(f.bool('interactive'), true);
  assert.equal(f.bool('tty'), true);
  assert.deepEqual(f.args, ['busybox', 'ls', '-la', '--rm']);
  // With interspersing (ps, rm …) flags after positionals are still flags.
  const g = parseFlags(specs, ['x', '-a', 'y']);
  assert.deepEqual(g.args, ['x', 'y']);
  assert.equal(g.bool('all'), true);
});

test('errors read as pflag/docker print them', () => {
  const msg = (argv: string[]): string => {
    try {
      parseFlags([...containerFlags, ...runOnlyFlags], argv, { interspersed: false });
    } catch (err) {
      assert.ok(err instanceof FlagError);
      return err.message;
    }
    return 'no error';
  };
  assert.equal(msg(['--foo', 'x']), 'unknown flag: --foo');
  assert.equal(msg(['-x']), "unknown shorthand flag: 'x' in -x");
  assert.equal(msg(['-ix']), "unknown shorthand flag: 'x' in -ix");
  assert.equal(msg(['-e']), "flag needs an argument: 'e' in -e");
  assert.equal(msg(['--name']), 'flag needs an argument: --name');
  assert.equal(msg(['--memory', '32q', 'x']), `invalid argument "32q" for "-m, --memory" flag: invalid suffix: 'q'`);
  assert.equal(msg(['--rm=maybe', 'x']), `invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax`);
  assert.equal(msg(['--cpus', 'abc', 'x']), `invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number`);
  assert.equal(msg(['--health-interval', '5', 'x']), `invalid argument "5" for "--health-interval" flag: time: missing unit in duration "5"`);
  assert.equal(msg(['-c', 'abc', 'x']), `invalid argument "abc" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "abc": invalid syntax`);
  assert.equal(msg(['--blkio-weight', '70000', 'x']), `invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range`);
  assert.equal(msg(['--ulimit', 'nofile=2048:1024', 'x']), `invalid argument "nofile=2048:1024" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 2048 > 1024`);
});

test('a hidden alias fills its flag: --net is --network, --dns-opt is --dns-option', () => {
  const f = parseFlags(containerFlags, ['--net', 'host', '--dns-opt', 'ndots:1', 'img'], { interspersed: false });
  assert.equal(f.list<{ Target: string }>('network')[0]!.Target, 'host');
  assert.deepEqual(f.list('dns-option'), ['ndots:1']);
});
