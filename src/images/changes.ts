// `docker import --change` and `docker commit --change`: the Dockerfile instructions that only
// touch an image's config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR,
// STOPSIGNAL, HEALTHCHECK), applied to a config.
import { InvalidParameter } from '../lib/errors.js';
import { parseDockerfileAst } from '../build/parser/parser.js';
import { parseInstruction } from '../build/parser/instructions.js';
import type { ContainerImageConfig } from './store.js';

const ALLOWED = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL', 'HEALTHCHECK']);

export function applyChanges(base: ContainerImageConfig, changes: string[]): ContainerImageConfig {
  const c: ContainerImageConfig = { ...base };
  for (const change of changes) {
    const line = change.trim();
    if (!line) continue;
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (!ALLOWED.has(instr)) throw new InvalidParameter(`${instr} is not a valid change command`);
    switch (instr) {
      case 'CMD':
        c.Cmd = commandForm(rest);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = commandForm(rest);
        break;
      case 'ENV':
        c.Env = mergeEnv(c.Env ?? [], keyValues(rest, 'ENV'));
        break;
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(rest, 'LABEL')) };
        break;
      case 'EXPOSE':
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.split(/\s+/)) c.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        break;
      case 'USER':
        c.User = rest;
        break;
      case 'WORKDIR':
        c.WorkingDir = rest;
        break;
      case 'STOPSIGNAL':
        c.StopSignal = rest;
        break;
      case 'VOLUME': {
        c.Volumes = { ...(c.Volumes ?? {}) };
        const vols = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
        for (const v of vols) c.Volumes[v] = {};
        break;
      }
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), rest];
        break;
      case 'HEALTHCHECK':
        c.Healthcheck = healthcheck(line);
        break;
      default:
        break;
    }
  }
  return c;
}

// The Dockerfile parser owns HEALTHCHECK's flags, forms and messages; only the API shape is made
// here (zero fields omitted, as Docker's JSON does).
function healthcheck(line: string): Record<string, unknown> {
  const node = parseDockerfileAst(line).nodes[0];
  if (!node) throw new InvalidParameter('HEALTHCHECK requires at least one argument');
  const instr = parseInstruction(node);
  if (instr.kind !== 'HEALTHCHECK') throw new InvalidParameter(`${instr.kind} is not a valid change command`);
  return healthcheckConfig(instr.health);
}

/** A parsed HEALTHCHECK as the image config holds it (zero fields omitted, as Docker's JSON does). */
export function healthcheckConfig(h: { test: string[]; interval?: number; timeout?: number; startPeriod?: number; startInterval?: number; retries?: number }): Record<string, unknown> {
  const out: Record<string, unknown> = { Test: h.test };
  if (h.interval) out.Interval = h.interval;
  if (h.timeout) out.Timeout = h.timeout;
  if (h.startPeriod) out.StartPeriod = h.startPeriod;
  if (h.startInterval) out.StartInterval = h.startInterval;
  if (h.retries) out.Retries = h.retries;
  return out;
}

function commandForm(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      const v = JSON.parse(rest) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      // falls through to the shell form, as Docker does for invalid JSON
    }
  }
  return ['/bin/sh', '-c', rest];
}

function keyValues(rest: string, instr: string): [string, string][] {
  const out: [string, string][] = [];
  if (!rest.includes('=') || /^[^\s=]+\s/.test(rest) && !/^[^\s=]+=/.test(rest)) {
    const m = /^(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw new InvalidParameter(`${instr} requires at least one argument`);
    out.push([m[1]!, m[2]!]);
    return out;
  }
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (let m; (m = re.exec(rest)); ) {
    let v = m[2]!;
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (v.startsWith("'")) v = v.slice(1, -1);
    out.push([m[1]!, v]);
  }
  return out;
}

function mergeEnv(env: string[], kv: [string, string][]): string[] {
  const out = [...env];
  for (const [k, v] of kv) {
    const i = out.findIndex((e) => e.split('=')[0] === k);
    if (i >= 0) out[i] = `${k}=${v}`;
    else out.push(`${k}=${v}`);
  }
  return out;
}
