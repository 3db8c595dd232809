// Typed Dockerfile instructions from the AST, the stage list, and the build-time word expansion
// Docker applies to each instruction. Validation and messages follow Docker's Dockerfile frontend
// ("dockerfile parse error on line N: …"); nothing here touches files or images.

import { InvalidParameter } from '../../lib/errors.js';
import { parseBuilderFlags, FlagError, type FlagKind, type ParsedFlags } from './builder-flags.js';
import { DurationError, formatGoDuration, parseGoDuration } from './go-duration.js';
import {
  chompHeredocContent,
  DockerfileParseError,
  KNOWN_DIRECTIVES,
  parseDockerfileAst,
  parseHeredocWord,
  type DockerfileNode,
} from './parser.js';
import { goQuote } from './go-text.js';
import { MountSpecError, parseMountSpec, type RunMount } from './run-mount.js';
import { ShellExpansionError, ShellLex, type EnvLookup, type EscapeToken } from './shell-lex.js';
import { withSuggestion } from './suggest.js';

interface Base {
  /** The logical source line (continuations joined). */
  original: string;
  startLine: number;
  endLine: number;
}

export interface KeyValuePair {
  key: string;
  value: string;
  /** Written in the legacy `KEY value` form. */
  noDelim: boolean;
}

export interface ArgDefinition {
  key: string;
  /** Default value; undefined when the ARG has none. */
  value?: string;
}

/** A heredoc used as a COPY/ADD source: a file with inline content. */
export interface SourceContent {
  path: string;
  data: string;
  /** Whether the content gets variable expansion (delimiter not quoted). */
  expand: boolean;
}

/** A heredoc attached to RUN/CMD/ENTRYPOINT. */
export interface ShellInlineFile {
  name: string;
  data: string;
  chomp: boolean;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

export interface FromInstruction extends Base {
  kind: 'FROM';
  baseName: string;
  /** Lower-cased `AS` name; '' when the stage is unnamed. */
  stageName: string;
  /** `--platform` value, '' when not given. */
  platform: string;
}

interface ShellDependent {
  /** Exec form: the JSON array. Shell form: one element, the command line. */
  cmdLine: string[];
  /** Shell form: the command runs under the stage's SHELL. */
  prependShell: boolean;
  files: ShellInlineFile[];
}

export interface RunInstruction extends Base, ShellDependent {
  kind: 'RUN';
  /** `--mount` values as written. */
  mountSpecs: string[];
  /** Mounts parsed from the literal specs; expandInstruction re-parses them after expansion. */
  mounts: RunMount[];
  network: NetworkMode;
  security: SecurityMode;
  flagsUsed: string[];
}

export interface CmdInstruction extends Base, ShellDependent {
  kind: 'CMD';
}

export interface EntrypointInstruction extends Base, Omit<ShellDependent, 'cmdLine'> {
  kind: 'ENTRYPOINT';
  /** null for `ENTRYPOINT []`, which resets the entrypoint. */
  cmdLine: string[] | null;
}

interface CopyCommon {
  sourcePaths: string[];
  sourceContents: SourceContent[];
  dest: string;
  chown: string;
  chmod: string;
  link: boolean;
  excludes: string[];
}

export interface CopyInstruction extends Base, CopyCommon {
  kind: 'COPY';
  from: string;
  parents: boolean;
}

export interface AddInstruction extends Base, CopyCommon {
  kind: 'ADD';
  checksum: string;
  /** undefined when `--keep-git-dir` was not given. */
  keepGitDir?: boolean;
  /** undefined when `--unpack` was not given. */
  unpack?: boolean;
}

export interface HealthConfig {
  /** ["NONE"], ["CMD", ...exec] or ["CMD-SHELL", command]. */
  test: string[];
  /** Nanoseconds; 0 means the default. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  health: HealthConfig;
}

export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDefinition[];
}

export interface EnvInstruction extends Base {
  kind: 'ENV';
  env: KeyValuePair[];
}

export interface LabelInstruction extends Base {
  kind: 'LABEL';
  labels: KeyValuePair[];
}

export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  ports: string[];
}

export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  volumes: string[];
}

export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger as it is stored in the image (`RUN echo hi`, heredoc bodies appended). */
  expression: string;
  /**
   * The trigger parsed; undefined when it does not parse, which Docker only reports when a
   * build uses the image as its base.
   */
  trigger?: Instruction;
}

export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}

export interface StopsignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}

export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}

export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | CopyInstruction
  | AddInstruction
  | HealthcheckInstruction
  | ArgInstruction
  | EnvInstruction
  | LabelInstruction
  | ExposeInstruction
  | VolumeInstruction
  | OnbuildInstruction
  | ShellInstruction
  | StopsignalInstruction
  | UserInstruction
  | WorkdirInstruction
  | MaintainerInstruction;

/** A build stage: its FROM and the instructions up to the next FROM. */
export interface Stage {
  /** Lower-cased stage name, '' when unnamed. */
  name: string;
  baseName: string;
  platform: string;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
  /** ARGs before the first FROM: the only variables FROM can use. */
  metaArgs: ArgInstruction[];
  warnings: string[];
  escapeToken: EscapeToken;
  /** Parser directives (`syntax`, `escape`, `check`) by lower-case name. */
  directives: Record<string, string>;
}

/** Docker's wording for an instruction the parser accepts but the builder does not. */
class InstructionError extends Error {}

const errAtLeastOne = (c: string) => new InstructionError(`${c} requires at least one argument`);
const errExactlyOne = (c: string) => new InstructionError(`${c} requires exactly one argument`);
const errNoDestination = (c: string) =>
  new InstructionError(`${c} requires at least two arguments, but only one was provided. Destination could not be determined`);
const errBlankNames = (c: string) => new InstructionError(`${c} names can not be blank`);

const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Parses a Dockerfile into stages. Throws DockerfileParseError naming the line. */
export function parseDockerfile(text: string): Dockerfile {
  const ast = parseDockerfileAst(text);
  const stages: Stage[] = [];
  const metaArgs: ArgInstruction[] = [];
  for (const node of ast.nodes) {
    const instr = parseInstruction(node);
    if (stages.length === 0 && instr.kind === 'ARG') {
      metaArgs.push(instr);
      continue;
    }
    if (instr.kind === 'FROM') {
      stages.push({ name: instr.stageName, baseName: instr.baseName, platform: instr.platform, from: instr, instructions: [] });
      continue;
    }
    const current = stages[stages.length - 1];
    if (!current) throw new DockerfileParseError('no build stage in current context', node.startLine, node.endLine);
    current.instructions.push(instr);
  }
  return {
    stages,
    metaArgs,
    warnings: ast.warnings.map((w) => w.message),
    escapeToken: ast.escapeToken,
    directives: ast.directives,
  };
}

/** Converts one AST node to its typed instruction. Throws DockerfileParseError naming the line. */
export function parseInstruction(node: DockerfileNode): Instruction {
  try {
    return toInstruction(node);
  } catch (err) {
    if (err instanceof InstructionError || err instanceof FlagError || err instanceof MountSpecError || err instanceof DurationError) {
      throw new DockerfileParseError(err.message, node.startLine, node.endLine);
    }
    throw err;
  }
}

// ONBUILD's trigger arrives as a child node; Docker's argument list puts its keyword first.
function nodeArgs(node: DockerfileNode): string[] {
  return node.child ? [node.child.directive, ...nodeArgs(node.child), ...node.args] : node.args;
}

function toInstruction(node: DockerfileNode): Instruction {
  const base: Base = { original: node.original, startLine: node.startLine, endLine: node.endLine };
  const args = nodeArgs(node);
  const flags = (accepted: Record<string, FlagKind>): ParsedFlags => parseBuilderFlags(node.flags, accepted);
  switch (node.directive.toLowerCase()) {
    case 'env': {
      flags({});
      return { kind: 'ENV', ...base, env: parseKvps(args, 'ENV') };
    }
    case 'label': {
      flags({});
      return { kind: 'LABEL', ...base, labels: parseKvps(args, 'LABEL') };
    }
    case 'maintainer': {
      if (args.length !== 1) throw errExactlyOne('MAINTAINER');
      flags({});
      return { kind: 'MAINTAINER', ...base, maintainer: args[0]! };
    }
    case 'add': {
      if (args.length < 2) throw errNoDestination('ADD');
      const f = flags({
        chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', unpack: 'bool', exclude: 'strings',
      });
      return {
        kind: 'ADD',
        ...base,
        ...sourcesAndDest(node, args, 'ADD'),
        chown: f.strings.get('chown') ?? '',
        chmod: f.strings.get('chmod') ?? '',
        link: f.bools.get('link') ?? false,
        excludes: f.lists.get('exclude') ?? [],
        checksum: f.strings.get('checksum') ?? '',
        ...(f.bools.has('keep-git-dir') ? { keepGitDir: f.bools.get('keep-git-dir')! } : {}),
        ...(f.bools.has('unpack') ? { unpack: f.bools.get('unpack')! } : {}),
      };
    }
    case 'copy': {
      if (args.length < 2) throw errNoDestination('COPY');
      const f = flags({ chown: 'string', from: 'string', chmod: 'string', link: 'bool', exclude: 'strings', parents: 'bool' });
      return {
        kind: 'COPY',
        ...base,
        ...sourcesAndDest(node, args, 'COPY'),
        from: f.strings.get('from') ?? '',
        chown: f.strings.get('chown') ?? '',
        chmod: f.strings.get('chmod') ?? '',
        link: f.bools.get('link') ?? false,
        parents: f.bools.get('parents') ?? false,
        excludes: f.lists.get('exclude') ?? [],
      };
    }
    case 'from': {
      let stageName = '';
      if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
        stageName = args[2]!.toLowerCase();
        if (!VALID_STAGE_NAME.test(stageName)) {
          throw new InstructionError(
            `invalid name for build stage: ${goQuote(args[2]!)}, name can't start with a number or contain symbols`,
          );
        }
      } else if (args.length !== 1) {
        throw new InstructionError('FROM requires either one or three arguments');
      }
      const f = flags({ platform: 'string' });
      return { kind: 'FROM', ...base, baseName: args[0]!, stageName, platform: f.strings.get('platform') ?? '' };
    }
    case 'onbuild':
      return parseOnbuild(node, args, base, flags);
    case 'workdir': {
      if (args.length !== 1) throw errExactlyOne('WORKDIR');
      flags({});
      return { kind: 'WORKDIR', ...base, path: args[0]! };
    }
    case 'run': {
      const f = flags({ mount: 'strings', network: 'string', security: 'string' });
      const network = f.strings.get('network') ?? 'default';
      if (network !== 'default' && network !== 'none' && network !== 'host') {
        throw new InstructionError(`invalid network mode ${goQuote(network)}`);
      }
      const security = f.strings.get('security') ?? 'sandbox';
      if (security !== 'sandbox' && security !== 'insecure') {
        throw new InstructionError(`security ${goQuote(security)} is not valid`);
      }
      const mountSpecs = f.lists.get('mount') ?? [];
      return {
        kind: 'RUN',
        ...base,
        ...shellDependent(node, args),
        mountSpecs,
        mounts: literalMounts(mountSpecs),
        network,
        security,
        flagsUsed: f.used,
      };
    }
    case 'cmd': {
      flags({});
      return { kind: 'CMD', ...base, ...shellDependent(node, args) };
    }
    case 'entrypoint': {
      flags({});
      const sd = shellDependent(node, args);
      return { kind: 'ENTRYPOINT', ...base, ...sd, cmdLine: sd.cmdLine.length === 0 ? null : sd.cmdLine };
    }
    case 'healthcheck':
      return { kind: 'HEALTHCHECK', ...base, health: parseHealth(node, args, flags) };
    case 'expose': {
      if (args.length === 0) throw errAtLeastOne('EXPOSE');
      flags({});
      return { kind: 'EXPOSE', ...base, ports: [...args].sort() };
    }
    case 'user': {
      if (args.length !== 1) throw errExactlyOne('USER');
      flags({});
      return { kind: 'USER', ...base, user: args[0]! };
    }
    case 'volume': {
      if (args.length === 0) throw errAtLeastOne('VOLUME');
      flags({});
      const volumes = args.map((v) => v.trim());
      if (volumes.some((v) => v === '')) throw new InstructionError('VOLUME specified can not be an empty string');
      return { kind: 'VOLUME', ...base, volumes };
    }
    case 'stopsignal': {
      // Docker does not check STOPSIGNAL's flags.
      if (args.length !== 1) throw errExactlyOne('STOPSIGNAL');
      return { kind: 'STOPSIGNAL', ...base, signal: args[0]! };
    }
    case 'arg': {
      if (args.length === 0) throw errAtLeastOne('ARG');
      const defs = args.map((a): ArgDefinition => {
        const eq = a.indexOf('=');
        if (eq < 0) return { key: a };
        if (eq === 0) throw errBlankNames('ARG');
        return { key: a.slice(0, eq), value: a.slice(eq + 1) };
      });
      flags({});
      return { kind: 'ARG', ...base, args: defs };
    }
    case 'shell': {
      flags({});
      if (args.length === 0) throw errAtLeastOne('SHELL');
      if (!node.json) throw new InstructionError('SHELL requires the arguments to be in JSON form');
      return { kind: 'SHELL', ...base, shell: [...args] };
    }
  }
  throw new InstructionError(withSuggestion(`unknown instruction: ${node.directive}`, node.directive, KNOWN_DIRECTIVES, false));
}

function parseKvps(args: string[], cmd: string): KeyValuePair[] {
  if (args.length === 0) throw errAtLeastOne(cmd);
  if (args.length % 3 !== 0) throw new InstructionError(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValuePair[] = [];
  for (let i = 0; i < args.length; i += 3) {
    if (args[i]!.length === 0) throw errBlankNames(cmd);
    out.push({ key: args[i]!, value: args[i + 1]!, noDelim: args[i + 2] === '' });
  }
  return out;
}

function sourcesAndDest(node: DockerfileNode, args: string[], cmd: string): Pick<CopyCommon, 'sourcePaths' | 'sourceContents' | 'dest'> {
  const dest = args[args.length - 1]!;
  if (parseHeredocWord(dest)) throw new InstructionError(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  const sourcePaths: string[] = [];
  const sourceContents: SourceContent[] = [];
  for (const src of args.slice(0, -1)) {
    const doc = parseHeredocWord(src);
    if (!doc) {
      sourcePaths.push(src);
      continue;
    }
    const content = byName.get(doc.name)?.content ?? '';
    sourceContents.push({ path: doc.name, data: doc.chomp ? chompHeredocContent(content) : content, expand: doc.expand });
  }
  return { sourcePaths, sourceContents, dest };
}

function shellDependent(node: DockerfileNode, args: string[]): ShellDependent {
  return {
    cmdLine: node.json || args.length === 0 ? [...args] : [args.join(' ')],
    prependShell: !node.json,
    files: node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp })),
  };
}

// Specs that use variables can only be checked once expanded; Docker checks them at build time.
function literalMounts(specs: string[]): RunMount[] {
  const mounts: RunMount[] = [];
  for (const spec of specs) {
    parseMountSpec(spec);
    try {
      mounts.push(parseMountSpec(spec, (w) => w));
    } catch (err) {
      if (!spec.includes('$')) throw err;
      mounts.push(parseMountSpec(spec));
    }
  }
  return mounts;
}

function parseOnbuild(
  node: DockerfileNode,
  args: string[],
  base: Base,
  flags: (accepted: Record<string, FlagKind>) => ParsedFlags,
): OnbuildInstruction {
  if (args.length === 0) throw errAtLeastOne('ONBUILD');
  flags({});
  const trigger = args[0]!.trim().toUpperCase();
  if (trigger === 'ONBUILD') throw new InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'MAINTAINER' || trigger === 'FROM') throw new InstructionError(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
  for (const h of node.heredocs) expression += '\n' + h.content + h.name;
  let parsed: Instruction | undefined;
  if (node.child) {
    try {
      parsed = parseInstruction({ ...node.child, heredocs: node.heredocs, startLine: node.startLine, endLine: node.endLine });
    } catch (err) {
      if (!(err instanceof DockerfileParseError)) throw err;
    }
  }
  return { kind: 'ONBUILD', ...base, expression, ...(parsed ? { trigger: parsed } : {}) };
}

const MINIMUM_INTERVAL_NS = 1_000_000;

// A healthcheck duration: empty or 0 means the default; otherwise at least 1ms.
function parseInterval(name: string, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const d = parseGoDuration(value);
  if (d === 0) return 0;
  if (d < MINIMUM_INTERVAL_NS) {
    throw new InstructionError(`Interval ${goQuote(name)} cannot be less than ${formatGoDuration(MINIMUM_INTERVAL_NS)}`);
  }
  return d;
}

function parseHealth(node: DockerfileNode, args: string[], flags: (accepted: Record<string, FlagKind>) => ParsedFlags): HealthConfig {
  if (args.length === 0) throw errAtLeastOne('HEALTHCHECK');
  const typ = args[0]!.toUpperCase();
  const rest = args.slice(1);
  const none = { test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    // Docker does not look at flags for HEALTHCHECK NONE.
    if (rest.length !== 0) throw new InstructionError('HEALTHCHECK NONE takes no arguments');
    return none;
  }
  const f = flags({ interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' });
  if (typ !== 'CMD') throw new InstructionError(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = node.json || rest.length === 0 ? rest : [rest.join(' ')];
  if (cmd.length === 0) throw new InstructionError('Missing command after HEALTHCHECK CMD');
  const test = [node.json ? 'CMD' : 'CMD-SHELL', ...cmd];
  const interval = parseInterval('interval', f.strings.get('interval'));
  const timeout = parseInterval('timeout', f.strings.get('timeout'));
  const startPeriod = parseInterval('start-period', f.strings.get('start-period'));
  const startInterval = parseInterval('start-interval', f.strings.get('start-interval'));
  let retries = 0;
  const r = f.strings.get('retries');
  if (r !== undefined && r !== '') {
    if (!/^[+-]?[0-9]+$/.test(r)) throw new InstructionError(`strconv.ParseInt: parsing ${goQuote(r)}: invalid syntax`);
    const n = Number(r);
    if (n > 2 ** 31 - 1 || n < -(2 ** 31)) {
      throw new InstructionError(`strconv.ParseInt: parsing ${goQuote(r)}: value out of range`);
    }
    if (n < 0) throw new InstructionError(`--retries cannot be negative (${n})`);
    retries = n;
  }
  return { test, interval, timeout, startPeriod, startInterval, retries };
}

/** A word expansion that failed at build time; the message is Docker's. */
export class ExpansionError extends InvalidParameter {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface ExpandOptions {
  /** The Dockerfile's escape token (Dockerfile.escapeToken). */
  escapeToken?: EscapeToken;
}

/**
 * Applies Docker's build-time word expansion to one instruction and returns the expanded copy.
 *
 * `lookup` is what Docker expands against: for FROM, only the meta ARGs (those before the first
 * FROM, with build-arg overrides); for every other instruction, the stage's ENV plus the ARGs
 * declared so far. Expanded: ENV and LABEL (keys and values), ADD/COPY (sources, destination,
 * --chown, --chmod, ADD --checksum, unquoted heredoc bodies), WORKDIR, USER, VOLUME,
 * STOPSIGNAL, EXPOSE (one port may expand to several), ARG (key and default), RUN --mount values,
 * FROM (base name and --platform). Not expanded: RUN/CMD/ENTRYPOINT command lines (the shell
 * expands them), SHELL, HEALTHCHECK, ONBUILD (expanded when triggered), MAINTAINER, COPY --from.
 */
export function expandInstruction<T extends Instruction>(instr: T, lookup: EnvLookup, opts: ExpandOptions = {}): T {
  const lex = new ShellLex({ escapeToken: opts.escapeToken ?? '\\' });
  const fail = (err: unknown): never => {
    if (err instanceof ShellExpansionError || err instanceof MountSpecError) throw new ExpansionError(err.message, instr.startLine);
    throw err;
  };
  const word = (w: string): string => {
    try {
      return lex.processWord(w, lookup);
    } catch (err) {
      return fail(err);
    }
  };
  const kvps = (list: KeyValuePair[]) => list.map((p) => ({ ...p, key: word(p.key), value: word(p.value) }));
  const i = instr as Instruction;
  let out: Instruction;
  switch (i.kind) {
    case 'ENV':
      out = { ...i, env: kvps(i.env) };
      break;
    case 'LABEL':
      out = { ...i, labels: kvps(i.labels) };
      break;
    case 'COPY':
    case 'ADD': {
      // Heredoc bodies expand without quote processing: quotes in a file body are content.
      const bodyLex = new ShellLex({ skipProcessQuotes: true });
      const sourceContents = i.sourceContents.map((c) => {
        if (!c.expand) return c;
        try {
          return { ...c, data: bodyLex.processWord(c.data, lookup) };
        } catch (err) {
          return fail(err);
        }
      });
      const common = {
        chown: word(i.chown),
        chmod: word(i.chmod),
        sourcePaths: i.sourcePaths.map(word),
        dest: word(i.dest),
        sourceContents,
      };
      out = i.kind === 'ADD' ? { ...i, ...common, checksum: word(i.checksum) } : { ...i, ...common };
      break;
    }
    case 'WORKDIR':
      out = { ...i, path: word(i.path) };
      break;
    case 'USER':
      out = { ...i, user: word(i.user) };
      break;
    case 'VOLUME':
      out = { ...i, volumes: i.volumes.map(word) };
      break;
    case 'STOPSIGNAL':
      out = { ...i, signal: word(i.signal) };
      break;
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const p of i.ports) {
        try {
          ports.push(...lex.processWords(p, lookup));
        } catch (err) {
          fail(err);
        }
      }
      out = { ...i, ports };
      break;
    }
    case 'ARG':
      out = {
        ...i,
        args: i.args.map((a) => ({ key: word(a.key), ...(a.value !== undefined ? { value: word(a.value) } : {}) })),
      };
      break;
    case 'RUN': {
      let mounts: RunMount[];
      try {
        mounts = i.mountSpecs.map((s) => parseMountSpec(s, word));
      } catch (err) {
        return fail(err);
      }
      out = { ...i, mounts };
      break;
    }
    case 'FROM': {
      const baseName = word(i.baseName);
      if (baseName === '') throw new ExpansionError(`base name (${i.baseName}) should not be blank`, i.startLine);
      let platform = i.platform;
      if (platform !== '') {
        platform = word(platform);
        if (platform === '') throw new ExpansionError(`empty platform value from expression ${i.platform}`, i.startLine);
      }
      out = { ...i, baseName, platform };
      break;
    }
    default:
      out = i;
  }
  return out as T;
}
