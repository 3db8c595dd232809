#!/usr/bin/env node
// Runs the compiled tests under dist/test with node's own test runner.
// Usage: node scripts/run-tests.mjs [unit|e2e] [substring ...]
// Node 20's `node --test` takes no globs, so the file list is built here.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const args = process.argv.slice(2);
const suites = args.filter((a) => a === 'unit' || a === 'e2e');
const filters = args.filter((a) => a !== 'unit' && a !== 'e2e');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk(root).filter((f) => {
  const rel = relative(root, f);
  if (suites.length && !suites.some((s) => rel.startsWith(s + '/'))) return false;
  return filters.length === 0 || filters.some((s) => rel.includes(s));
});
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// e2e tests drive real daemons and share the machine's kernel state: run files one at a time.
const concurrency = suites.length === 1 && suites[0] === 'unit' ? '2' : '1';
// A test file that leaves a server or child open never exits: rather than running into CI's
// limit, give up after an hour and say so. (--test-force-exit would end such files, but it also
// cuts off the report of files with many tests.)
const LIMIT_MS = 60 * 60 * 1000;
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--enable-source-maps', ...files], {
  stdio: 'inherit',
  timeout: LIMIT_MS,
  killSignal: 'SIGKILL',
});
if (r.error || r.signal) {
  console.error(`test run stopped after ${LIMIT_MS / 60000} minutes (${r.error?.message ?? r.signal}): a test file did not exit`);
  process.exit(1);
}
process.exit(r.status ?? 1);
