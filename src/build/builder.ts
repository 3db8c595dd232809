// The Dockerfile builder behind POST /build: reads the context, parses the Dockerfile, plans the
// stages (skipping what the target does not need), runs independent stages concurrently with
// ordered output, tags the result, and reports in Docker's JSON-message stream.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { errorMessage, InvalidParameter, NotFound } from '../lib/errors.js';
import { shortId } from '../lib/ids.js';
import type { ContainerService } from '../containers/service.js';
import type { LayerStore } from '../layers/store.js';
import type { ImageService } from '../images/service.js';
import { parseReference, withDefaultTag, familiarString } from '../images/reference.js';
import { parseDockerfile, parseInstruction, expandInstruction, type Stage } from './parser/instructions.js';
import { DockerfileParseError, parseDockerfileAst } from './parser/parser.js';
import { envLookup } from './parser/shell-lex.js';
import { BuildArgs } from './build-args.js';
import { BuildCache } from './cache.js';
import { BuildContext } from './context/build-context.js';
import { OrderedOutput, type Sink } from './output.js';
import { planBuild, stageLabel, stageRef } from './stage-graph.js';
import { StageBuilder, StepError } from './stage-builder.js';
import { CacheFromSources } from './cache-from.js';
import { resolveBaseImage, type ImagePuller } from './base-image.js';
import type { BuildEnv, BuildOptions } from './build-env.js';

export type { BuildOptions } from './build-env.js';

export interface BuilderDeps {
  dataRoot: string;
  containers: ContainerService;
  layers: LayerStore;
  images: ImageService;
  /** The distribution service: FROM images that are missing (or all, with `pull`) are pulled. */
  puller?: ImagePuller;
}

export class Builder {
  readonly cache: BuildCache;
  private readonly tmpRoot: string;

  constructor(private readonly deps: BuilderDeps) {
    this.cache = new BuildCache(deps.dataRoot);
    this.tmpRoot = join(deps.dataRoot, 'builder', 'tmp');
  }

  async init(): Promise<void> {
    await this.cache.init();
    // Contexts of builds cut short by a crash.
    await fs.rm(this.tmpRoot, { recursive: true, force: true });
    await fs.mkdir(this.tmpRoot, { recursive: true, mode: 0o700 });
  }

  /**
   * Builds and tags; every message goes to `sink`. Resolves to the image id, or rejects after
   * the error was sent as an errorDetail message.
   */
  async build(input: Readable, o: BuildOptions, sink: Sink): Promise<string | undefined> {
    let context: BuildContext | undefined;
    let output: OrderedOutput | undefined;
    try {
      const refs = o.tags.map((t) => {
        try {
          return familiarString(withDefaultTag(parseReference(t)));
        } catch {
          throw new InvalidParameter(`invalid reference format: ${t}`);
        }
      });
      context = await BuildContext.fromTar(input, this.tmpRoot);
      const text = await context.readDockerfile(o.dockerfile);
      const df = parseDockerfile(text);
      for (const w of df.warnings) if (!o.quiet) sink({ stream: `[Warning] ${w}\n` });
      if (df.stages.length === 0) throw new InvalidParameter('the Dockerfile (Dockerfile) cannot be empty');
      const args = new BuildArgs(o.buildArgs);
      for (const meta of df.metaArgs) {
        for (const def of expandInstruction(meta, envLookup(metaValues(args)), { escapeToken: df.escapeToken }).args) args.declareMeta(def);
      }
      const baseNames = df.stages.map((s) => expandInstruction(s.from, envLookup(metaValues(args)), { escapeToken: df.escapeToken }).baseName);
      const plan = planBuild(df.stages, baseNames, o.target);
      const stages: Stage[] = df.stages.map((s) => ({ ...s, instructions: [...s.instructions] }));
      if (Object.keys(o.labels).length > 0) {
        // Docker's legacy builder adds --label values as a LABEL step at the end of the target.
        const line = 'LABEL ' + Object.keys(o.labels).sort().map((k) => `${JSON.stringify(k)}=${JSON.stringify(o.labels[k])}`).join(' ');
        const node = parseDockerfileAst(line).nodes[0]!;
        const t = stages[plan.target]!;
        const last = t.instructions[t.instructions.length - 1] ?? t.from;
        t.instructions.push(parseInstruction({ ...node, startLine: last.endLine, endLine: last.endLine }));
      }
      const finalPlan = planBuild(stages, baseNames, o.target);
      if (finalPlan.skipped.length && !o.quiet) {
        sink({ stream: `Skipping stages not needed for the target: ${finalPlan.skipped.map((i) => stageLabel(stages, i)).join(', ')}\n` });
      }

      output = new OrderedOutput(finalPlan.run.length, sink);
      const results = new Map<number, Promise<string>>();
      let failed = false;
      const store = this.deps.images.store;
      const pulls = { tryResolve: (ref: string) => store.tryResolve(ref), ...(this.deps.puller ? { puller: this.deps.puller } : {}) };
      const pullOpts = { forcePull: o.pull, ...(o.registryAuth ? { registryAuth: o.registryAuth } : {}) };
      const env: BuildEnv = {
        opts: o,
        containers: this.deps.containers,
        layers: this.deps.layers,
        images: this.deps.images,
        cache: this.cache,
        cacheFrom: new CacheFromSources(store, o.cacheFrom, (w) => {
          if (!o.quiet) sink({ stream: `[Warning] ${w}\n` });
        }),
        context,
        tmpRoot: this.tmpRoot,
        fromImage: async (index, ref) => {
          const s = stageRef(stages, index, ref);
          if (s !== undefined) return store.byId(await results.get(s)!)!;
          // dockerd pulls a COPY --from image as it pulls a FROM image; its progress is not shown.
          const img = await resolveBaseImage(pulls, ref, pullOpts, () => undefined);
          if (!img) throw new NotFound(`invalid from flag value ${ref}: unable to find image '${ref}' locally`);
          return img;
        },
        baseImage: (name, out) => resolveBaseImage(pulls, name, pullOpts, (m) => {
          if (!o.quiet) out.write(m);
        }),
      };
      const runStage = async (pos: number, i: number): Promise<string> => {
        const sp = finalPlan.stages[i]!;
        const builder = new StageBuilder(env, stages, i, output!.at(pos), args, df.escapeToken);
        try {
          const base = sp.baseStage !== undefined ? results.get(sp.baseStage) : undefined;
          return await builder.build(baseNames[i]!, base, sp.firstStep, finalPlan.totalSteps, () => failed);
        } catch (err) {
          failed = true;
          throw err;
        } finally {
          output!.finish(pos);
        }
      };
      finalPlan.run.forEach((i, pos) => results.set(i, runStage(pos, i)));
      const settled = await Promise.allSettled(finalPlan.run.map((i) => results.get(i)!));
      const firstError = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !/another stage failed/.test(errorMessage(r.reason)))
        ?? settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (firstError) throw firstError.reason;
      const imageId = await results.get(finalPlan.target)!;

      const unused = args.unconsumed();
      if (unused.length && !o.quiet) sink({ stream: `[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n` });
      sink({ aux: { ID: imageId } });
      if (o.quiet) sink({ stream: `${imageId}\n` });
      else sink({ stream: `Successfully built ${shortId(imageId)}\n` });
      for (const ref of refs) {
        await this.deps.images.tag(imageId, ref);
        if (!o.quiet) sink({ stream: `Successfully tagged ${ref}\n` });
      }
      return imageId;
    } catch (err) {
      output?.flushAll();
      const message = err instanceof StepError && !(err instanceof DockerfileParseError) ? `Dockerfile:${err.line}: ${err.message}` : errorMessage(err);
      const code = err instanceof StepError ? err.code : undefined;
      sink({ errorDetail: { message, ...(code !== undefined ? { code } : {}) }, error: message });
      return undefined;
    } finally {
      await context?.close();
    }
  }
}

function metaValues(args: BuildArgs): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of args.meta) if (v !== undefined) m.set(k, v);
  return m;
}
