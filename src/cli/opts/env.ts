// Environment variables and labels as the docker CLI collects them: -e/--env (a bare NAME takes the
// value from the CLI's own environment), --env-file and --label-file (line files with comments),
// and the KEY=VALUE list → map conversion used for labels and log options.

import { readFileSync } from 'node:fs';

/** opts.ValidateEnv: "NAME" alone takes NAME's value here, if set. */
export function validateEnv(val: string, env: NodeJS.ProcessEnv = process.env): string {
  const eq = val.indexOf('=');
  const key = eq === -1 ? val : val.slice(0, eq);
  if (key === '') throw new Error(`invalid environment variable: ${val}`);
  if (eq !== -1) return val;
  const v = env[key];
  return v === undefined ? val : `${key}=${v}`;
}

/**
 * Reads one KEY=VALUE file. With an environment to look in (env files), a bare KEY takes its value
 * from there and is dropped when unset; without one (label files) the line is kept as written.
 */
export function parseKeyValueFile(filename: string, lookup?: NodeJS.ProcessEnv): string[] {
  let text: string;
  try {
    text = readFileSync(filename, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`open ${filename}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: string[] = [];
  const lines = text.split('\n');
  for (const rawLine of lines) {
    const line = rawLine.replace(/\r$/, '').replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq === -1 ? line : line.slice(0, eq);
    if (key === '') throw new Error(`no variable name on line '${line}'`);
    if (/\s/.test(key.replace(/^\s+/, ''))) throw new Error(`variable '${key.replace(/^\s+/, '')}' contains whitespaces`);
    if (eq !== -1) {
      out.push(line);
      continue;
    }
    if (!lookup) {
      out.push(line.trim());
      continue;
    }
    const v = lookup[line.trim()];
    if (v !== undefined) out.push(`${line.trim()}=${v}`);
  }
  return out;
}

/** opts.ReadKVEnvStrings: env files first, then -e values (which therefore win). */
export function readKVEnvStrings(files: readonly string[], override: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const f of files) out.push(...parseKeyValueFile(f, env));
  return [...out, ...override];
}

/** opts.ReadKVStrings: label files first, then -l values. */
export function readKVStrings(files: readonly string[], override: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of files) out.push(...parseKeyValueFile(f));
  return [...out, ...override];
}

/** opts.ConvertKVStringsToMap: "k=v" → k: v, "k" → k: "". */
export function kvToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === -1) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
