// `berth bootstrap registry`: builds the local image registry:2 whose entrypoint is Berth's own
// registry server. The rootfs carries what that server needs and nothing else: the node binary
// with the shared libraries it loads (as ldd lists them), the compiled registry code and the
// local modules it imports, and a package.json that makes them ES modules.
import { promises as fs } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NotFound } from '../lib/errors.js';
import { packTree } from '../layers/archive/diff.js';
import type { LayerStore } from '../layers/store.js';
import type { ImageService } from './service.js';
import type { Image, ImageConfig } from './store.js';

const run = promisify(execFile);
/** dist/ of this build: this file is dist/src/images/registry-image.js. */
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = 'src/distribution/registry/main.js';
const CODE_DIR = '/srv/registry';

/** Absolute paths of the shared objects `binary` loads, the dynamic loader included. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The compiled module and every local module it imports, transitively (paths relative to dist/). */
export async function moduleClosure(entry: string, root = DIST): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const rel = queue.pop()!;
    if (seen.has(rel)) continue;
    const text = await fs.readFile(join(root, rel), 'utf8').catch(() => {
      throw new NotFound(`${join(root, rel)} not found: build Berth first (npx tsc -p .)`);
    });
    seen.add(rel);
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      queue.push(relative(root, resolve(root, dirname(rel), m[1]!)));
    }
  }
  return [...seen].sort();
}

async function copyInto(root: string, path: string, mode?: number): Promise<void> {
  const dest = join(root, path);
  await fs.mkdir(dirname(dest), { recursive: true, mode: 0o755 });
  // Libraries are reached through symlinks (libc.so.6 → …): copy the file itself under the name.
  await fs.copyFile(await fs.realpath(path.startsWith('/') ? path : join(DIST, path)), dest);
  if (mode !== undefined) await fs.chmod(dest, mode);
}

export async function bootstrapRegistry(tmpRoot: string, layers: LayerStore, images: ImageService, tag = 'registry:2'): Promise<Image> {
  const work = join(tmpRoot, `bootstrap-registry-${randomBytes(6).toString('hex')}`);
  const root = join(work, 'rootfs');
  try {
    for (const d of ['etc', 'tmp', 'var/lib/registry', 'usr/local/bin', 'proc', 'sys', 'dev', CODE_DIR.slice(1)]) await fs.mkdir(join(root, d), { recursive: true, mode: 0o755 });
    await fs.chmod(join(root, 'tmp'), 0o1777);
    await fs.copyFile(await fs.realpath(process.execPath), join(root, 'usr/local/bin/node'));
    await fs.chmod(join(root, 'usr/local/bin/node'), 0o755);
    for (const lib of await sharedLibraries(process.execPath)) await copyInto(root, lib, 0o755);
    const modules = await moduleClosure(ENTRY);
    for (const m of modules) {
      const dest = join(root, CODE_DIR, m);
      await fs.mkdir(dirname(dest), { recursive: true });
      await fs.copyFile(join(DIST, m), dest);
    }
    await fs.writeFile(join(root, CODE_DIR, 'package.json'), JSON.stringify({ name: 'berth-registry', private: true, type: 'module' }, null, 2) + '\n');
    await fs.writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    await fs.writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');

    const layer = await layers.register(packTree(root));
    const created = new Date().toISOString();
    const config: ImageConfig = {
      architecture: 'amd64',
      os: 'linux',
      created,
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'REGISTRY_HTTP_ADDR=:5000', 'REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/var/lib/registry'],
        Entrypoint: ['/usr/local/bin/node', `${CODE_DIR}/${ENTRY}`],
        Cmd: ['serve'],
        ExposedPorts: { '5000/tcp': {} },
        Volumes: { '/var/lib/registry': {} },
        WorkingDir: CODE_DIR,
        Labels: { 'org.opencontainers.image.title': 'Berth registry', 'org.opencontainers.image.version': process.version },
      },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: `berth bootstrap registry: node ${process.version} with ${modules.length} registry modules` }],
    };
    const img = await images.store.create(Buffer.from(JSON.stringify(config)));
    await images.tag(img.id, tag);
    return img;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
