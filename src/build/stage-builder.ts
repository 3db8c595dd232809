// One build stage, step by step: each instruction either reuses a cached image or produces a new
// image whose parent is the previous step's (metadata steps add no layer; RUN, COPY, ADD and a
// WORKDIR that creates its directory add one). Configs and history are written as Docker's
// legacy builder writes them.
import { promises as fs } from 'node:fs';
import { join, posix } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { InvalidParameter, NotFound } from '../lib/errors.js';
import { shortId } from '../lib/ids.js';
import { chainIdOf, type Layer } from '../layers/store.js';
import type { ContainerImageConfig, ImageConfig, Image } from '../images/store.js';
import { healthcheckConfig } from '../images/changes.js';
import { parseDockerfileAst } from './parser/parser.js';
import { expandInstruction, parseInstruction, type Instruction, type Stage, type CopyInstruction, type AddInstruction } from './parser/instructions.js';
import { envLookup, type EscapeToken } from './parser/shell-lex.js';
import type { BuildArgs } from './build-args.js';
import { StageArgs } from './build-args.js';
import { cacheKey, type CacheKeyParts } from './cache.js';
import type { StageOutput } from './output.js';
import { runStep } from './run-step.js';
import { copyInto, withScratchLayer, type CopyItem } from './copy-step.js';
import { resolveSources, hashSource, type SourceTree } from './context/build-context.js';
import { goList, goQuoteList, healthcheckComment, nopCreatedBy } from './history-text.js';
import type { BuildEnv } from './build-env.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** A failure at one Dockerfile line; the builder prefixes the line. */
export class StepError extends InvalidParameter {
  constructor(message: string, readonly line: number, readonly code?: number) {
    super(message);
  }
}

const fixed: ContainerImageConfig = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false,
};

export class StageBuilder {
  private imageId = '';
  private img!: ImageConfig;
  private readonly args: StageArgs;
  private cmdSet = false;

  constructor(
    private readonly env: BuildEnv,
    private readonly stages: readonly Stage[],
    private readonly index: number,
    private readonly out: StageOutput,
    private readonly buildArgs: BuildArgs,
    private readonly escapeToken: EscapeToken,
  ) {
    this.args = new StageArgs(buildArgs);
  }

  private get cfg(): ContainerImageConfig {
    return this.img.config!;
  }

  private say(text: string): void {
    if (!this.env.opts.quiet) this.out.stream(text);
  }

  /** Runs the stage; `step` is the number of its FROM line; resolves to its final image id. */
  async build(baseName: string, baseStage: Promise<string> | undefined, step: number, total: number, aborted: () => boolean): Promise<string> {
    const stage = this.stages[this.index]!;
    this.say(`Step ${step}/${total} : ${stage.from.original}\n`);
    await this.from(baseName, baseStage, stage);
    for (const instr of stage.instructions) {
      if (aborted()) throw new StepError('build cancelled: another stage failed', instr.startLine);
      step++;
      this.say(`Step ${step}/${total} : ${instr.original}\n`);
      await this.step(instr, false);
      this.say(` ---> ${shortId(this.imageId)}\n`);
    }
    if (!this.imageId) throw new StepError('No image was generated. Is your Dockerfile empty?', stage.from.startLine);
    return this.imageId;
  }

  private async from(baseName: string, baseStage: Promise<string> | undefined, stage: Stage): Promise<void> {
    let base: Image | undefined;
    if (baseStage) base = this.env.images.store.byId(await baseStage);
    else if (baseName.toLowerCase() !== 'scratch') {
      try {
        base = await this.env.baseImage(baseName, this.out);
      } catch (err) {
        throw new StepError((err as Error).message, stage.from.startLine);
      }
      if (!base) throw new StepError(`unable to find image '${baseName}' locally`, stage.from.startLine);
    }
    if (base) {
      this.imageId = base.id;
      this.img = JSON.parse(JSON.stringify(base.config)) as ImageConfig;
      this.say(` ---> ${shortId(base.id)}\n`);
    } else {
      this.img = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
    }
    this.img.config = { ...fixed, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null, ...(this.img.config ?? {}) };
    if (!(this.cfg.Env ?? []).some((e) => e.startsWith('PATH='))) this.cfg.Env = [...(this.cfg.Env ?? []), DEFAULT_PATH];
    const triggers = this.cfg.OnBuild ?? [];
    if (triggers.length > 0) {
      this.cfg.OnBuild = null;
      this.say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const expr of triggers) {
        const node = parseDockerfileAst(expr).nodes[0];
        if (!node) continue;
        const kind = node.directive.toUpperCase();
        if (kind === 'ONBUILD') throw new StepError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", stage.from.startLine);
        if (kind === 'FROM' || kind === 'MAINTAINER') throw new StepError(`${kind} isn't allowed as an ONBUILD trigger`, stage.from.startLine);
        let trigger: Instruction;
        try {
          trigger = parseInstruction({ ...node, startLine: stage.from.startLine, endLine: stage.from.endLine });
        } catch (err) {
          throw new StepError((err as Error).message, stage.from.startLine);
        }
        await this.step(trigger, true);
      }
    }
  }

  private lookup() {
    const m = new Map<string, string>(this.args.inEffect());
    for (const e of this.cfg.Env ?? []) {
      const i = e.indexOf('=');
      m.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
    }
    return envLookup(m);
  }

  private get shell(): string[] {
    return this.cfg.Shell && this.cfg.Shell.length ? this.cfg.Shell : DEFAULT_SHELL;
  }

  /**
   * Reuses a cached image for `parts`, if any, from the local cache or a `--cache-from` source;
   * loads it as the current state. `next` is the image the step would write (config, author),
   * which a result rebuilt from a cache-from source carries.
   */
  private async fromCache(parts: CacheKeyParts, next: ImageConfig = this.img): Promise<{ hit: boolean; key: string }> {
    const key = cacheKey(parts);
    if (this.env.opts.noCache) return { hit: false, key };
    const sources = this.env.cacheFrom;
    const local = await this.env.cache.lookup(key, (i) => this.env.images.store.byId(i) !== undefined && (!sources.active || sources.acceptsLocal(i)));
    const id = local ?? (sources.active ? await this.fromSources(parts.createdBy, next) : undefined);
    if (!id) return { hit: false, key };
    const img = this.env.images.store.byId(id)!;
    this.imageId = id;
    this.img = JSON.parse(JSON.stringify(img.config)) as ImageConfig;
    this.say(' ---> Using cache\n');
    return { hit: true, key };
  }

  /** A cache-from hit: the source itself for its last step, else the step's image rebuilt on ours. */
  private async fromSources(createdBy: string, next: ImageConfig): Promise<string | undefined> {
    const parent = this.imageId ? this.img : undefined;
    const hit = this.env.cacheFrom.match(parent, createdBy);
    if (!hit) return undefined;
    if (hit.last) return hit.source.id;
    const diffIds = [...(parent?.rootfs.diff_ids ?? []), ...(hit.diffId ? [hit.diffId] : [])];
    if (hit.diffId && !this.env.layers.has(chainIdOf(diffIds)!)) return undefined;
    // Same shape and field order as commit(), so a chain rebuilt from a source made on the same
    // base gets the ids the original intermediate images had.
    const config: ImageConfig = {
      architecture: next.architecture,
      ...(next.author ? { author: next.author } : {}),
      config: { ...next.config!, Image: this.imageId },
      ...(hit.entry.created ? { created: hit.entry.created } : {}),
      history: [...(parent?.history ?? []), hit.entry],
      os: next.os,
      rootfs: { type: 'layers', diff_ids: diffIds },
    };
    const img = await this.env.images.store.create(Buffer.from(JSON.stringify(config)), this.imageId || undefined);
    return img.id;
  }

  /** Writes the step's image (parent: the previous step's) and records it in the cache. */
  private async commit(createdBy: string, key: string, layer?: Layer, extra: Partial<ImageConfig> = {}): Promise<void> {
    const now = new Date().toISOString();
    const config: ImageConfig = {
      architecture: this.img.architecture,
      ...(this.img.author ? { author: this.img.author } : {}),
      config: { ...this.cfg, Image: this.imageId },
      ...extra,
      created: now,
      history: [...(this.img.history ?? []), { created: now, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) }],
      os: this.img.os,
      rootfs: { type: 'layers', diff_ids: [...this.img.rootfs.diff_ids, ...(layer ? [layer.diffId] : [])] },
    };
    const img = await this.env.images.store.create(Buffer.from(JSON.stringify(config)), this.imageId || undefined);
    this.imageId = img.id;
    this.img = JSON.parse(JSON.stringify(img.config)) as ImageConfig;
    await this.env.cache.record(key, img.id);
  }

  /** A step that only changes the config: `mutate` applies it; history gets `#(nop)  comment`. */
  private async metadata(comment: string, mutate: () => void): Promise<void> {
    const saved = JSON.stringify(this.img);
    mutate();
    const createdBy = nopCreatedBy(this.shell, comment);
    const parts: CacheKeyParts = { parent: this.imageId, createdBy, extra: { config: JSON.stringify(this.img.config), author: this.img.author ?? '' } };
    const mutated = this.img;
    this.img = JSON.parse(saved) as ImageConfig;
    const { hit, key } = await this.fromCache(parts, mutated);
    if (hit) return;
    this.img = mutated;
    await this.commit(createdBy, key);
  }

  private async step(raw: Instruction, trigger: boolean): Promise<void> {
    const line = raw.startLine;
    try {
      await this.dispatch(raw);
    } catch (err) {
      if (err instanceof StepError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new StepError((err as Error).message, line, typeof code === 'number' ? code : undefined);
    }
    void trigger;
  }

  private async dispatch(raw: Instruction): Promise<void> {
    const i = expandInstruction(raw, this.lookup(), { escapeToken: this.escapeToken });
    const cfg = () => this.cfg;
    switch (i.kind) {
      case 'ENV':
        return this.metadata(`ENV ${i.env.map((p) => `${p.key}=${p.value}`).join(' ')}`, () => {
          const env = [...(cfg().Env ?? [])];
          for (const p of i.env) {
            const at = env.findIndex((e) => e.split('=')[0] === p.key);
            if (at >= 0) env[at] = `${p.key}=${p.value}`;
            else env.push(`${p.key}=${p.value}`);
          }
          cfg().Env = env;
        });
      case 'LABEL':
        return this.metadata(`LABEL ${i.labels.map((p) => `${p.key}=${p.value}`).join(' ')}`, () => {
          const labels = { ...(cfg().Labels ?? {}) };
          for (const p of i.labels) labels[p.key] = p.value;
          cfg().Labels = labels;
        });
      case 'MAINTAINER':
        return this.metadata(`MAINTAINER ${i.maintainer}`, () => {
          this.img.author = i.maintainer;
        });
      case 'CMD': {
        const cmd = i.prependShell ? [...this.shell, i.cmdLine[0] ?? ''] : i.cmdLine;
        this.cmdSet = true;
        return this.metadata(`CMD ${goQuoteList(cmd)}`, () => {
          cfg().Cmd = cmd;
        });
      }
      case 'ENTRYPOINT': {
        const ep = i.cmdLine === null ? null : i.prependShell ? [...this.shell, i.cmdLine[0] ?? ''] : i.cmdLine;
        return this.metadata(`ENTRYPOINT ${goQuoteList(ep)}`, () => {
          cfg().Entrypoint = ep;
          // An ENTRYPOINT resets the CMD inherited from the base, not one set in this stage.
          if (!this.cmdSet) cfg().Cmd = null;
        });
      }
      case 'EXPOSE': {
        const ports = i.ports.flatMap(expandPort);
        return this.metadata(`EXPOSE ${ports.join(' ')}`, () => {
          const exposed = { ...(cfg().ExposedPorts ?? {}) };
          for (const p of ports) exposed[p] = {};
          cfg().ExposedPorts = exposed;
        });
      }
      case 'VOLUME':
        return this.metadata(`VOLUME ${goList(i.volumes)}`, () => {
          const vols = { ...(cfg().Volumes ?? {}) };
          for (const v of i.volumes) vols[v] = {};
          cfg().Volumes = vols;
        });
      case 'USER':
        return this.metadata(`USER ${i.user}`, () => {
          cfg().User = i.user;
        });
      case 'STOPSIGNAL':
        if (!/^(SIG)?[A-Z0-9+-]+$/i.test(i.signal)) throw new InvalidParameter(`Invalid signal: ${i.signal}`);
        return this.metadata(`STOPSIGNAL ${i.signal}`, () => {
          cfg().StopSignal = i.signal;
        });
      case 'HEALTHCHECK': {
        const hc = healthcheckConfig(i.health);
        return this.metadata(healthcheckComment(i.health), () => {
          cfg().Healthcheck = hc;
        });
      }
      case 'SHELL':
        return this.metadata(`SHELL ${goList(i.shell)}`, () => {
          cfg().Shell = i.shell;
        });
      case 'ONBUILD':
        return this.metadata(`ONBUILD ${i.expression}`, () => {
          cfg().OnBuild = [...(cfg().OnBuild ?? []), i.expression];
        });
      case 'ARG':
        for (const a of i.args) this.args.declare(a);
        return this.metadata(`ARG ${i.args.map((a) => (a.value !== undefined ? `${a.key}=${a.value}` : a.key)).join(' ')}`, () => undefined);
      case 'WORKDIR':
        return this.workdir(i.path);
      case 'RUN':
        return this.run(i);
      case 'COPY':
      case 'ADD':
        return this.copy(i);
      case 'FROM':
        throw new InvalidParameter('FROM is not allowed here');
    }
  }

  private async workdir(path: string): Promise<void> {
    const dir = posix.resolve(this.cfg.WorkingDir || '/', path);
    const createdBy = nopCreatedBy(this.shell, `WORKDIR ${dir}`);
    const next: ImageConfig = { ...this.img, config: { ...this.cfg, WorkingDir: dir } };
    const { hit, key } = await this.fromCache({ parent: this.imageId, createdBy, extra: { config: JSON.stringify(next.config) } }, next);
    if (hit) return;
    this.cfg.WorkingDir = dir;
    // As BuildKit: the directory is created (a layer) only when the image lacks it.
    const { layer } = await withScratchLayer(
      this.env.layers,
      chainIdOf(this.img.rootfs.diff_ids),
      async (root) => {
        const { resolveInRoot } = await import('../layers/archive/root-path.js');
        const host = await resolveInRoot(root, dir.slice(1), true);
        const st = await fs.stat(host).catch(() => undefined);
        if (st?.isDirectory()) return false;
        await fs.mkdir(host, { recursive: true, mode: 0o755 });
        return true;
      },
      (created) => created,
    );
    await this.commit(createdBy, key, layer);
  }

  private async run(i: Extract<Instruction, { kind: 'RUN' }>): Promise<void> {
    // The legacy builder supports no RUN flag (--mount, --network, --security): dockerd refuses
    // the first one used, before the cache is consulted.
    if (i.flagsUsed.length > 0) throw new InvalidParameter(buildKitOnly(i.flagsUsed[0]!));
    let argv: string[];
    if (i.prependShell) {
      let script = i.cmdLine[0] ?? '';
      if (i.files.length > 0) {
        // Heredocs (BuildKit semantics): `RUN <<EOF` alone runs the body as the script; otherwise
        // the shell gets the command line followed by the heredoc bodies.
        const only = i.files.length === 1 && /^<<-?["']?\w+["']?$/.test(script.trim());
        script = only ? i.files[0]!.data : `${script}\n${i.files.map((f) => `${f.data}${f.name}`).join('\n')}`;
      }
      argv = [...this.shell, script];
    } else argv = i.cmdLine;
    const { env, historyPrefix } = this.args.forRun(this.cfg.Env ?? []);
    const createdBy = historyPrefix + argv.join(' ');
    const network = this.env.opts.networkMode || 'default';
    const { hit, key } = await this.fromCache({ parent: this.imageId, createdBy, extra: { config: JSON.stringify(this.img.config) } });
    if (hit) return;
    if (!this.imageId) throw new InvalidParameter('RUN needs a filesystem: add a COPY before it or start FROM an image');
    const result = await runStep(
      this.env.containers,
      this.env.layers,
      chainIdOf(this.img.rootfs.diff_ids),
      {
        image: this.imageId,
        argv,
        env: [...(this.cfg.Env ?? []), ...env],
        user: this.cfg.User ?? '',
        workingDir: this.cfg.WorkingDir ?? '',
        networkMode: network,
        shmSize: this.env.opts.shmSize,
        resources: this.env.opts.resources,
        rm: this.env.opts.rm,
        forceRm: this.env.opts.forceRm,
      },
      (text) => this.say(text),
    );
    await this.commit(createdBy, key, result.layer);
  }

  private async copy(i: CopyInstruction | AddInstruction): Promise<void> {
    const what = i.kind;
    if (i.excludes.length || (i.kind === 'COPY' && i.parents)) throw new InvalidParameter(`${what} --exclude and --parents are not supported by this builder`);
    let dest = i.dest;
    if (!dest.startsWith('/')) {
      const wd = this.cfg.WorkingDir || '/';
      dest = posix.join(wd, dest) + (dest.endsWith('/') || dest === '.' ? '/' : '');
    }
    const sourceCount = i.sourcePaths.length + i.sourceContents.length;
    const tmpDirs: string[] = [];
    try {
      const items: CopyItem[] = [];
      const hashes: string[] = [];
      let fromImage: Image | undefined;
      if (i.kind === 'COPY' && i.from) fromImage = await this.env.fromImage(this.index, i.from);
      const collect = async (tree: SourceTree, isContext: boolean) => {
        for (const src of i.sourcePaths) {
          if (i.kind === 'ADD' && /^https?:\/\//.test(src)) {
            const dl = await download(src, this.env.tmpRoot);
            tmpDirs.push(dl.dir);
            items.push({ tree: { root: dl.dir, excluded: () => false }, rel: dl.name, unpack: false, mode: 0o600, ...(dl.mtime ? { mtime: dl.mtime } : {}) });
            hashes.push(await hashSource({ root: dl.dir, excluded: () => false }, dl.name));
            continue;
          }
          const rels = isContext ? await this.env.context.resolveSources(src, what) : await resolveSources(tree, src, what);
          for (const rel of rels) {
            items.push({ tree, rel, unpack: i.kind === 'ADD' && isContext });
            if (isContext) hashes.push(await this.env.context.hashSource(rel));
          }
        }
        for (const c of i.sourceContents) {
          const dir = join(this.env.tmpRoot, randomBytes(8).toString('hex'));
          await fs.mkdir(dir, { recursive: true });
          tmpDirs.push(dir);
          const name = posix.basename(c.path);
          await fs.writeFile(join(dir, name), c.data, { mode: 0o644 });
          items.push({ tree: { root: dir, excluded: () => false }, rel: name, unpack: false });
          hashes.push(await hashSource({ root: dir, excluded: () => false }, name));
        }
      };
      if ((sourceCount > 1 || items.length > 1) && !dest.endsWith('/')) {
        throw new InvalidParameter(`When using ${what} with more than one source file, the destination must be a directory and end with a /`);
      }
      const flags = [i.kind === 'COPY' && i.from ? `--from=${i.from} ` : '', i.chown ? `--chown=${i.chown} ` : '', i.chmod ? `--chmod=${i.chmod} ` : ''].join('');
      const step = (contents: string[], single: boolean) => {
        const srcHash = (single ? 'file:' : 'multi:') + createHash('sha256').update(contents.join('\n')).digest('hex');
        const createdBy = nopCreatedBy(this.shell, `${what} ${flags}${srcHash} in ${dest} `);
        return { createdBy, parts: { parent: this.imageId, createdBy, contents, extra: { config: JSON.stringify(this.img.config) } } };
      };
      const copyAndCommit = async (createdBy: string, key: string) => {
        if (items.length > 1 && !dest.endsWith('/')) {
          throw new InvalidParameter(`When using ${what} with more than one source file, the destination must be a directory and end with a /`);
        }
        const { layer } = await withScratchLayer(this.env.layers, chainIdOf(this.img.rootfs.diff_ids), (root) => copyInto(root, { items, dest, chown: i.chown, chmod: i.chmod, what }), () => true);
        await this.commit(createdBy, key, layer);
      };
      if (fromImage) {
        // An image never changes: its id and the source patterns decide the result, so the cache
        // is asked before its filesystem is mounted (a mount and unmount per hit otherwise).
        const img = fromImage;
        const { createdBy, parts } = step(i.sourcePaths.map((src) => `${img.id}:${src}`), i.sourcePaths.length === 1 && !/[*?[]/.test(i.sourcePaths[0]!));
        const { hit, key } = await this.fromCache(parts);
        if (hit) return;
        await withScratchLayer(
          this.env.layers,
          chainIdOf(img.config.rootfs.diff_ids),
          async (root) => {
            await collect({ root, excluded: () => false }, false);
            await copyAndCommit(createdBy, key);
          },
          () => false,
        );
      } else {
        await collect(this.env.context, true);
        const { createdBy, parts } = step(hashes, items.length === 1);
        const { hit, key } = await this.fromCache(parts);
        if (hit) return;
        // The context is extracted only now, for the first step that really copies from it.
        await this.env.context.extract();
        await copyAndCommit(createdBy, key);
      }
    } finally {
      for (const d of tmpDirs) await fs.rm(d, { recursive: true, force: true });
    }
  }
}

/** dockerd's refusal of a flag only BuildKit implements. */
export function buildKitOnly(flag: string): string {
  return `the --${flag} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`;
}

/** EXPOSE values as Docker stores them: `80` → `80/tcp`, ranges expanded. */
export function expandPort(spec: string): string[] {
  const [range, proto = 'tcp'] = spec.split('/', 2) as [string, string | undefined];
  const m = /^(?:[0-9.]*:)?([0-9]+)(?:-([0-9]+))?$/.exec(range);
  if (!m) throw new InvalidParameter(`Invalid containerPort: ${range}`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (to < from || to > 65535) throw new InvalidParameter(`Invalid range specified for the Port: ${range}`);
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}

/** ADD <url>: fetched into a private directory; the name is the URL path's last element. */
async function download(url: string, tmpRoot: string): Promise<{ dir: string; name: string; mtime?: Date }> {
  const dir = join(tmpRoot, randomBytes(8).toString('hex'));
  await fs.mkdir(dir, { recursive: true });
  const name = posix.basename(new URL(url).pathname) || 'index.html';
  const get = url.startsWith('https:') ? https.get : http.get;
  const mtime = await new Promise<Date | undefined>((resolve, reject) => {
    const req = get(url, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        res.resume();
        reject(new NotFound(`failed to GET ${url} with status ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      const lm = res.headers['last-modified'];
      import('node:fs').then(({ createWriteStream }) => {
        const ws = createWriteStream(join(dir, name), { mode: 0o600 });
        res.pipe(ws);
        ws.on('finish', () => resolve(lm ? new Date(lm) : undefined));
        ws.on('error', reject);
        res.on('error', reject);
      }, reject);
    });
    req.on('error', (e) => reject(new InvalidParameter(`failed to GET ${url}: ${e.message}`)));
  });
  return { dir, name, ...(mtime && !isNaN(mtime.getTime()) ? { mtime } : {}) };
}
