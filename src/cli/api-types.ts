// The Go types docker/cli decodes inspect answers into (moby's api/types), as far as templates can
// tell them apart: field order, pointers, maps versus structs, time.Duration and encoding/json
// names. `typedInspect` turns the daemon's JSON into template values shaped like them.

import { goNil, GoDuration, markStruct, NIL_POINTER, type JsonField } from './template/typed.js';

type GoType =
  | { kind: 'string' | 'bool' | 'int' | 'duration' }
  /** Not modelled: objects become structs in their JSON key order, except fields named in MAP_FIELDS. */
  | { kind: 'auto'; pointer?: boolean; fields?: Record<string, GoType> }
  | { kind: 'struct'; pointer?: boolean; fields: readonly Field[] }
  | { kind: 'slice'; elem: GoType }
  | { kind: 'map'; elem: GoType };

interface Field {
  name: string;
  type: GoType;
  json?: string;
  omitempty?: boolean;
}

const str: GoType = { kind: 'string' };
const bool: GoType = { kind: 'bool' };
const int: GoType = { kind: 'int' };
const duration: GoType = { kind: 'duration' };
const auto: GoType = { kind: 'auto' };
const f = (name: string, type: GoType, opts: { json?: string; omitempty?: boolean } = {}): Field => ({ name, type, ...opts });
const mapOf = (elem: GoType): GoType => ({ kind: 'map', elem });
const sliceOf = (elem: GoType): GoType => ({ kind: 'slice', elem });

/** Field names that hold Go maps (labels, options, port maps …) wherever they appear in inspect output. */
const MAP_FIELDS = new Set(['Labels', 'Options', 'DriverOpts', 'Sysctls', 'StorageOpt', 'Tmpfs', 'ExposedPorts', 'Volumes', 'Networks', 'Ports', 'PortBindings', 'Data', 'Annotations', 'Containers', 'Status']);

// nat.PortBinding: the Go field is HostIP, the JSON key HostIp.
const portBinding: GoType = { kind: 'struct', fields: [f('HostIP', str, { json: 'HostIp' }), f('HostPort', str)] };
const portMap = mapOf(sliceOf(portBinding));

const emptyStruct: GoType = { kind: 'struct', fields: [] };
const health: GoType = { kind: 'auto', pointer: true };

const state: GoType = {
  kind: 'struct',
  pointer: true,
  fields: [
    f('Status', str),
    f('Running', bool),
    f('Paused', bool),
    f('Restarting', bool),
    f('OOMKilled', bool),
    f('Dead', bool),
    f('Pid', int),
    f('ExitCode', int),
    f('Error', str),
    f('StartedAt', str),
    f('FinishedAt', str),
    f('Health', health, { omitempty: true }),
  ],
};

const mountPoint: GoType = {
  kind: 'struct',
  fields: [
    f('Type', str, { omitempty: true }),
    f('Name', str, { omitempty: true }),
    f('Source', str),
    f('Destination', str),
    f('Driver', str, { omitempty: true }),
    f('Mode', str),
    f('RW', bool),
    f('Propagation', str),
  ],
};

const healthConfig: GoType = {
  kind: 'struct',
  pointer: true,
  fields: [
    f('Test', sliceOf(str), { omitempty: true }),
    f('Interval', duration, { omitempty: true }),
    f('Timeout', duration, { omitempty: true }),
    f('StartPeriod', duration, { omitempty: true }),
    f('StartInterval', duration, { omitempty: true }),
    f('Retries', int, { omitempty: true }),
  ],
};

const containerInspect: GoType = {
  kind: 'auto',
  fields: {
    State: state,
    Mounts: sliceOf(mountPoint),
    Config: { kind: 'auto', pointer: true, fields: { Healthcheck: healthConfig, ExposedPorts: mapOf(emptyStruct), Volumes: mapOf(emptyStruct) } },
    HostConfig: {
      kind: 'auto',
      pointer: true,
      fields: {
        PortBindings: portMap,
        RestartPolicy: { kind: 'struct', fields: [f('Name', str), f('MaximumRetryCount', int)] },
        LogConfig: { kind: 'struct', fields: [f('Type', str), f('Config', mapOf(str))] },
      },
    },
    NetworkSettings: { kind: 'auto', pointer: true, fields: { Ports: portMap, Networks: mapOf({ kind: 'auto', pointer: true }) } },
  },
};

function zero(t: GoType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
      return 0;
    case 'duration':
      return new GoDuration(0);
    case 'slice':
      return goNil([]);
    case 'map':
      return goNil({});
    case 'struct':
      return t.pointer ? NIL_POINTER : decode({}, t);
    case 'auto':
      return t.pointer ? NIL_POINTER : null;
  }
}

function decode(v: unknown, t: GoType): unknown {
  if (v === undefined || v === null) return zero(t);
  switch (t.kind) {
    case 'duration':
      return typeof v === 'number' ? new GoDuration(v) : v;
    case 'slice':
      return Array.isArray(v) ? v.map((e) => decode(e, t.elem)) : v;
    case 'map':
      if (typeof v !== 'object' || Array.isArray(v)) return v;
      return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, decode(e, t.elem)]));
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v)) return v;
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const field of t.fields) out[field.name] = decode(src[field.json ?? field.name], field.type);
      const json: JsonField[] = t.fields.map((field) => [field.json ?? field.name, field.name, field.omitempty === true]);
      return markStruct(out, t.fields.map((field) => field.name), { pointer: t.pointer, json });
    }
    case 'auto': {
      if (Array.isArray(v)) return v.map((e) => decode(e, auto));
      if (typeof v !== 'object') return v;
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
        out[k] = decode(e, t.fields?.[k] ?? (MAP_FIELDS.has(k) ? mapOf(auto) : auto));
      }
      // Modelled fields the daemon left out (omitempty) still exist in the Go struct, as zero values.
      for (const [k, ft] of Object.entries(t.fields ?? {})) if (!(k in out)) out[k] = zero(ft);
      return markStruct(out, Object.keys(out), { pointer: t.pointer });
    }
    default:
      return v;
  }
}

/**
 * The typed view of an inspected object (container inspect gets the modelled fields; other kinds
 * are structs in JSON key order), or undefined when docker/cli would have only the raw JSON.
 */
export function typedInspect(kind: string, raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return undefined;
  return decode(raw, kind === 'container' ? containerInspect : auto);
}
