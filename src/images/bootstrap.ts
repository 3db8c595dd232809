// `berth bootstrap`: creates busybox:latest from Debian's busybox-static, so a first container
// runs with no registry. The tree gets fixed timestamps, so every machine builds the same image ID.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { NotFound } from '../lib/errors.js';
import { utimensat } from '../lib/libc.js';
import { packTree } from '../layers/archive/diff.js';
import type { LayerStore } from '../layers/store.js';
import type { ImageService } from './service.js';
import type { Image, ImageConfig } from './store.js';

const run = promisify(execFile);
export const BUSYBOX_PATH = '/bin/busybox';

export async function bootstrapBusybox(tmpRoot: string, layers: LayerStore, images: ImageService, tag = 'busybox:latest'): Promise<Image> {
  const st = await fs.stat(BUSYBOX_PATH).catch(() => undefined);
  if (!st) throw new NotFound(`${BUSYBOX_PATH} not found: install Debian's busybox-static package`);
  const { stdout: versionLine } = await run(BUSYBOX_PATH, ['--help']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const version = /BusyBox v(\S+)/.exec(versionLine)?.[1] ?? 'unknown';
  const { stdout: list } = await run(BUSYBOX_PATH, ['--list-full']);

  const work = join(tmpRoot, `bootstrap-${randomBytes(6).toString('hex')}`);
  const root = join(work, 'rootfs');
  try {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'var/spool/mail', 'var/www', 'dev', 'proc', 'sys', 'tmp']) {
      await fs.mkdir(join(root, d), { recursive: true, mode: 0o755 });
    }
    await fs.chmod(join(root, 'tmp'), 0o1777);
    await fs.chmod(join(root, 'root'), 0o700);
    await fs.copyFile(BUSYBOX_PATH, join(root, 'bin/busybox'));
    await fs.chmod(join(root, 'bin/busybox'), 0o755);
    for (const applet of list.split('\n').map((l) => l.trim()).filter(Boolean)) {
      if (applet === 'bin/busybox') continue;
      // bin/sh → busybox, usr/bin/env → ../../bin/busybox, linuxrc → bin/busybox
      const depth = applet.split('/').length - 1;
      const target = applet.startsWith('bin/') && depth === 1 ? 'busybox' : `${'../'.repeat(depth)}bin/busybox`;
      await fs.symlink(target, join(root, applet)).catch(() => undefined);
    }
    await fs.writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nbin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\nsync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/spool/mail:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\noperator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
    await fs.writeFile(join(root, 'etc/group'), 'root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:root\nmail:x:8:\nwww-data:x:33:\noperator:x:37:\nusers:x:100:\nnogroup:x:65534:\n');
    await fs.writeFile(join(root, 'etc/shadow'), 'root:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n', { mode: 0o600 });
    const mtimeNs = BigInt(Math.floor(st.mtimeMs)) * 1_000_000n;
    await setTimes(root, mtimeNs);

    const layer = await layers.register(packTree(root));
    const created = new Date(Number(mtimeNs / 1_000_000n)).toISOString();
    const config: ImageConfig = {
      architecture: 'amd64',
      os: 'linux',
      created,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: `berth bootstrap: ADD busybox-static ${version} in / ` }],
    };
    const img = await images.store.create(Buffer.from(JSON.stringify(config)));
    await images.tag(img.id, tag);
    return img;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function setTimes(dir: string, ns: bigint): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await setTimes(p, ns);
    await utimensat(p, ns, ns, true);
  }
  await utimensat(dir, ns, ns, true);
}
