// RUN: a container on the step's image with the stage's environment, user, working directory and
// shell, its output streamed into the build, its filesystem changes registered as a layer.
import { Duplex } from 'node:stream';
import type { ContainerService } from '../containers/service.js';
import type { LayerStore, Layer } from '../layers/store.js';
import { InvalidParameter } from '../lib/errors.js';
import { translateTarIds } from '../layers/archive/tar-ids.js';

export interface RunSpec {
  image: string;
  argv: string[];
  env: string[];
  user: string;
  workingDir: string;
  networkMode: string;
  shmSize?: number;
  resources: Record<string, unknown>;
  /** Remove the container after success (`rm`) or always (`forcerm`). */
  rm: boolean;
  forceRm: boolean;
}

export interface RunResult {
  layer: Layer;
  containerId: string;
}

/** Failed RUN, carrying Docker's exit-code field for errorDetail. */
export class RunFailed extends InvalidParameter {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** Collects the 8-byte-framed stdout/stderr the attach writes, handing on whole payloads. */
function frameSink(onData: (data: Buffer) => void): Duplex {
  let pending: Buffer = Buffer.alloc(0);
  return new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        onData(pending.subarray(8, 8 + size));
        pending = pending.subarray(8 + size);
      }
      cb();
    },
    final(cb) {
      this.push(null);
      cb();
    },
  });
}

export async function runStep(
  containers: ContainerService,
  layers: LayerStore,
  parentChain: string | undefined,
  spec: RunSpec,
  output: (text: string) => void,
): Promise<RunResult> {
  const { Id: id } = await containers.create(undefined, {
    Image: spec.image,
    Cmd: spec.argv,
    Entrypoint: [''],
    Env: spec.env,
    User: spec.user,
    WorkingDir: spec.workingDir,
    Healthcheck: { Test: ['NONE'] },
    AttachStdout: true,
    AttachStderr: true,
    Labels: {},
    HostConfig: {
      NetworkMode: spec.networkMode || 'default',
      ...(spec.shmSize ? { ShmSize: spec.shmSize } : {}),
      ...spec.resources,
    },
  } as Parameters<ContainerService['create']>[1]);
  output(` ---> Running in ${id.slice(0, 12)}\n`);
  let ok = false;
  try {
    const sink = frameSink((d) => output(d.toString('utf8')));
    const attached = containers.attach(id, sink, { stdin: false, stdout: true, stderr: true, tty: false, detachKeys: [] });
    const waiter = containers.wait(id, 'next-exit');
    try {
      await containers.start(id);
    } catch (err) {
      waiter.cancel();
      sink.destroy();
      throw err;
    }
    const { StatusCode } = await waiter.result;
    // The attach ends when conmon closes the streams; do not hang if it never connected.
    await Promise.race([attached, new Promise((r) => setTimeout(r, 2000))]);
    sink.destroy();
    if (StatusCode !== 0) {
      throw new RunFailed(`The command '${spec.argv.join(' ')}' returned a non-zero code: ${StatusCode}`, StatusCode);
    }
    // userns-remap: the step's layer holds the container's ids, not the remapped root's.
    const layer = await layers.register(translateTarIds(layers.diffRW(id), layers.idMap), parentChain);
    ok = true;
    return { layer, containerId: id };
  } finally {
    if (spec.forceRm || (spec.rm && ok)) {
      await containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
      output(`Removing intermediate container ${id.slice(0, 12)}\n`);
    }
  }
}
