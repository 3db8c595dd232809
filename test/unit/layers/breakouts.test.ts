// containerd's archive breakout list (pkg/archive/tar_test.go TestBreakouts), replayed against
// applyLayer. Where containerd points symlinks at the host's /etc, these tests point them at a
// sentinel directory beside the layer (OUT), so a regression damages only the test's temp dir:
// after every case OUT must be byte-for-byte and inode-for-inode unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../src/layers/archive/apply.js';
import { resolveInRoot } from '../../../src/layers/archive/root-path.js';
import type { TarWriteEntry } from '../../../src/layers/archive/tar-writer.js';
import { snapshot, t, tarOf, withTempDir } from './fixtures.js';

interface Ctx {
  root: string;
  /** Absolute host path of the sentinel directory outside the layer. */
  out: string;
}

interface Case {
  name: string;
  /** Files put in the layer directory before the apply (paths relative to root). */
  before?: (c: Ctx) => Promise<void>;
  tar: (c: Ctx) => TarWriteEntry[];
  /** Checks inside the layer after a successful apply. */
  check?: (c: Ctx) => Promise<void>;
  /** When set, the apply must fail with a message matching this. */
  refused?: RegExp;
}

const inRoot = (c: Ctx, rel: string) => resolveInRoot(c.root, rel, true);

async function sameFile(c: Ctx, a: string, b: string): Promise<void> {
  const [sa, sb] = await Promise.all([fs.stat(await inRoot(c, a)), fs.stat(await inRoot(c, b))]);
  assert.equal(sa.ino, sb.ino, `${a} and ${b} should be one inode`);
}

async function content(c: Ctx, rel: string): Promise<string> {
  return fs.readFile(await inRoot(c, rel), 'utf8');
}

async function absent(c: Ctx, rel: string): Promise<void> {
  await assert.rejects(fs.lstat(join(c.root, rel)), { code: 'ENOENT' });
}

const etcWithPasswd = () => [t.dir('etc', 0o770), t.file('/etc/passwd', 'inside')];

const cases: Case[] = [
  {
    name: 'SymlinkAbsolute',
    tar: (c) => [t.dir('etc'), t.symlink(c.out, 'localetc'), t.file('/localetc/unbroken', 'unbroken')],
    check: async (c) => assert.equal(await content(c, c.out + '/unbroken'), 'unbroken'),
  },
  {
    name: 'SymlinkUpAndOut',
    tar: () => [t.dir('etc'), t.dir('dummy'), t.symlink('dummy/../../etc', 'localetc'), t.file('/localetc/unbroken', 'unbroken')],
    check: async (c) => assert.equal(await content(c, 'etc/unbroken'), 'unbroken'),
  },
  {
    name: 'SymlinkMultipleAbsolute',
    tar: (c) => [t.dir('etc'), t.dir('dummy'), t.symlink(c.out, '/dummy/etc'), t.symlink('/dummy/etc', 'localetc'), t.file('/dummy/etc/unbroken', 'unbroken')],
    check: async (c) => assert.equal(await content(c, 'localetc/unbroken'), 'unbroken'),
  },
  {
    name: 'SymlinkMultipleRelative',
    tar: (c) => [t.dir('etc'), t.dir('dummy'), t.symlink(c.out, '/dummy/etc'), t.symlink('./dummy/etc', 'localetc'), t.file('/dummy/etc/unbroken', 'unbroken')],
    check: async (c) => assert.equal(await content(c, 'localetc/unbroken'), 'unbroken'),
  },
  {
    name: 'SymlinkEmptyFile',
    tar: () => [t.dir('etc'), t.file('etc/emptied', 'notempty'), t.symlink('../etc', 'localetc'), t.file('/localetc/emptied', '')],
    check: async (c) => assert.equal(await content(c, 'etc/emptied'), ''),
  },
  {
    name: 'HardlinkRelative',
    tar: () => [...etcWithPasswd(), t.dir('breakouts'), t.symlink('../../etc', 'breakouts/d1'), t.link('/breakouts/d1/passwd', 'breakouts/mypasswd')],
    check: (c) => sameFile(c, 'breakouts/mypasswd', 'etc/passwd'),
  },
  {
    name: 'HardlinkDownAndOut',
    tar: () => [...etcWithPasswd(), t.dir('breakouts'), t.dir('downandout'), t.symlink('../downandout/../../etc', 'breakouts/d1'), t.link('/breakouts/d1/passwd', 'breakouts/mypasswd')],
    check: (c) => sameFile(c, 'breakouts/mypasswd', 'etc/passwd'),
  },
  {
    name: 'HardlinkAbsolute',
    tar: (c) => [...etcWithPasswd(), t.file(c.out + '/passwd', 'inside too'), t.symlink(c.out, 'localetc'), t.link('/localetc/passwd', 'localpasswd')],
    check: async (c) => {
      await sameFile(c, 'localpasswd', c.out + '/passwd');
      assert.equal(await content(c, 'localpasswd'), 'inside too');
    },
  },
  {
    name: 'HardlinkRelativeLong',
    tar: () => [...etcWithPasswd(), t.dir('a/b/c'), t.symlink('../../../../etc', 'a/b/c/localetc'), t.link('/a/b/c/localetc/passwd', 'localpasswd')],
    check: (c) => sameFile(c, 'localpasswd', 'etc/passwd'),
  },
  {
    name: 'HardlinkRelativeUpAndOut',
    tar: () => [...etcWithPasswd(), t.symlink('upandout/../../etc', 'localetc'), t.link('/localetc/passwd', 'localpasswd')],
    check: (c) => sameFile(c, 'localpasswd', 'etc/passwd'),
  },
  {
    name: 'HardlinkDirectRelative',
    tar: () => [...etcWithPasswd(), t.link('../etc/passwd', 'localpasswd')],
    refused: /refusing layer entry "localpasswd": hardlink target path "..\/etc\/passwd" climbs out of the layer/,
  },
  {
    name: 'HardlinkDirectAbsolute',
    tar: () => [...etcWithPasswd(), t.link('/etc/passwd', 'localpasswd')],
    check: (c) => sameFile(c, 'localpasswd', 'etc/passwd'),
  },
  {
    name: 'SymlinkParentDirectory',
    tar: (c) => [...etcWithPasswd(), t.symlink(c.out, '..'), t.link('/etc/passwd', 'localpasswd')],
    refused: /refusing layer entry "..": path ".." climbs out of the layer/,
  },
  {
    name: 'SymlinkEmptyFilename',
    tar: (c) => [...etcWithPasswd(), t.symlink(c.out, ''), t.link('/etc/passwd', 'localpasswd')],
    check: (c) => sameFile(c, 'localpasswd', 'etc/passwd'),
  },
  {
    name: 'SymlinkParentRelative',
    tar: (c) => [...etcWithPasswd(), t.symlink(c.out, 'localetc/sub/..'), t.link('/etc/passwd', '/localetc/localpasswd')],
    check: async (c) => {
      assert.ok((await fs.lstat(join(c.root, 'localetc'))).isSymbolicLink());
      await sameFile(c, 'localetc/localpasswd', 'etc/passwd');
    },
  },
  {
    name: 'SymlinkSlashEnded',
    tar: () => [...etcWithPasswd(), t.dir('localetc/', 0o770), t.link('/etc/passwd', '/localetc/localpasswd')],
    check: (c) => sameFile(c, 'localetc/localpasswd', 'etc/passwd'),
  },
  {
    name: 'SymlinkOverrideDirectory',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'inside');
      await fs.mkdir(join(c.root, 'localetc'));
    },
    tar: (c) => [t.symlink(c.out, 'localetc'), t.link('/etc/passwd', '/localetc/localpasswd')],
    check: (c) => sameFile(c, 'localetc/localpasswd', 'etc/passwd'),
  },
  {
    name: 'SymlinkOverrideDirectoryRelative',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'inside');
      await fs.mkdir(join(c.root, 'localetc'));
    },
    tar: () => [t.symlink('../etc', 'localetc'), t.link('/etc/passwd', '/localetc/localpasswd')],
    check: (c) => sameFile(c, 'localetc/localpasswd', 'etc/passwd'),
  },
  {
    name: 'DirectoryOverrideSymlink',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'inside');
      await fs.symlink(c.out, join(c.root, 'localetc'));
    },
    tar: () => [t.dir('/localetc/'), t.link('/etc/passwd', '/localetc/localpasswd')],
    check: async (c) => {
      assert.ok((await fs.lstat(join(c.root, 'localetc'))).isDirectory());
      await sameFile(c, 'localetc/localpasswd', 'etc/passwd');
    },
  },
  {
    name: 'DirectoryOverrideSymlinkAndHardlink',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'inside');
      await fs.symlink('etc', join(c.root, 'localetc'));
      await fs.link(join(c.root, 'etc/passwd'), join(c.root, 'etc/localpasswd'));
    },
    tar: () => [t.dir('/localetc/'), t.file('/localetc/localpasswd', 'different')],
    check: async (c) => {
      assert.equal(await content(c, 'etc/passwd'), 'inside');
      assert.equal(await content(c, 'localetc/localpasswd'), 'different');
    },
  },
  ...(
    [
      ['WhiteoutRootParent', '.wh...'],
      ['WhiteoutParent', 'etc/.wh...'],
      ['WhiteoutRoot', '.wh..'],
      ['WhiteoutCurrentDirectory', 'etc/.wh..'],
    ] as const
  ).map(
    ([name, entry]): Case => ({
      name,
      before: async (c) => {
        await fs.mkdir(join(c.root, 'etc'));
        await fs.writeFile(join(c.root, 'etc/passwd'), 'inside');
      },
      tar: () => [t.file(entry, '')],
      refused: /invalid whiteout name/,
    }),
  ),
  {
    name: 'WhiteoutSymlink',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'all users');
      await fs.symlink(c.out, join(c.root, 'localetc'));
    },
    tar: () => [t.file('.wh.localetc', '')],
    check: async (c) => {
      assert.equal(await content(c, 'etc/passwd'), 'all users');
      await absent(c, 'localetc');
    },
  },
  {
    name: 'WhiteoutSymlinkPath',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'all users');
      await fs.writeFile(join(c.root, 'etc/whitedout'), 'ahhhh whiteout');
      await fs.symlink('/etc', join(c.root, 'localetc'));
    },
    tar: () => [t.file('localetc/.wh.whitedout', '')],
    check: async (c) => {
      assert.equal(await content(c, 'etc/passwd'), 'all users');
      await absent(c, 'etc/whitedout');
    },
  },
  {
    name: 'WhiteoutDirectoryName',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'all users');
    },
    tar: () => [t.file('.wh.etc/somefile', 'non-empty')],
    check: async (c) => {
      assert.equal(await content(c, 'etc/passwd'), 'all users');
      assert.equal(await content(c, '.wh.etc/somefile'), 'non-empty');
    },
  },
  {
    name: 'WhiteoutDeadSymlinkParent',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'all users');
      await fs.symlink('/dne', join(c.root, 'localetc'));
    },
    tar: () => [t.file('localetc/.wh.etc', '')],
    check: async (c) => assert.equal(await content(c, 'etc/passwd'), 'all users'),
  },
  {
    name: 'WhiteoutRelativePath',
    before: async (c) => {
      await fs.mkdir(join(c.root, 'etc'));
      await fs.writeFile(join(c.root, 'etc/passwd'), 'all users');
      await fs.symlink('/dne', join(c.root, 'localetc'));
    },
    tar: () => [t.file('dne/../.wh.etc', '')],
    check: (c) => absent(c, 'etc'),
  },
  {
    name: 'HardlinkSymlinkBeforeCreateTarget',
    tar: (c) => [t.dir('etc', 0o770), t.symlink(c.out + '/passwd', 'localpasswd'), t.link('localpasswd', 'localpasswd-dup'), t.file(c.out + '/passwd', 'after')],
    check: async (c) => {
      assert.ok((await fs.lstat(join(c.root, 'localpasswd-dup'))).isSymbolicLink());
      await sameFile(c, 'localpasswd-dup', c.out + '/passwd');
      assert.equal(await content(c, 'localpasswd-dup'), 'after');
    },
  },
  {
    name: 'HardlinkSymlinkRelative',
    tar: () => [...etcWithPasswd(), t.symlink('../etc/passwd', 'passwdlink'), t.link('/passwdlink', 'localpasswd')],
    check: async (c) => {
      assert.equal(await fs.readlink(join(c.root, 'localpasswd')), '../etc/passwd');
      assert.equal((await fs.lstat(join(c.root, 'localpasswd'))).ino, (await fs.lstat(join(c.root, 'passwdlink'))).ino);
      await sameFile(c, 'localpasswd', 'etc/passwd');
    },
  },
  {
    name: 'HardlinkSymlinkAbsolute',
    tar: (c) => [...etcWithPasswd(), t.symlink(c.out + '/passwd', 'passwdlink'), t.link('/passwdlink', 'localpasswd', 0o777)],
    check: async (c) => {
      assert.equal(await fs.readlink(join(c.root, 'localpasswd')), c.out + '/passwd');
      assert.equal((await fs.lstat(join(c.root, 'localpasswd'))).ino, (await fs.lstat(join(c.root, 'passwdlink'))).ino);
    },
  },
  {
    name: 'HardlinkSymlinkChmod',
    tar: (c) => [t.symlink(c.out + '/perm400', c.out + '/also-exists-outside-root'), t.link(c.out + '/also-exists-outside-root', 'sketchylink', 0o777)],
    check: async (c) => assert.ok((await fs.lstat(join(c.root, 'sketchylink'))).isSymbolicLink()),
  },
  // Moby's own list adds plain escaping names.
  {
    name: 'DotDotName',
    tar: () => [t.file('../victim', 'x')],
    refused: /refusing layer entry "..\/victim": path "..\/victim" climbs out of the layer/,
  },
  {
    name: 'DotDotInsideName',
    tar: () => [t.dir('a'), t.file('a/../../victim', 'x')],
    refused: /climbs out of the layer/,
  },
];

for (const mode of ['naive', 'overlay'] as const) {
  for (const c of cases) {
    // Whiteout cases that delete through the tree only make sense on a full directory.
    if (mode === 'overlay' && c.name.startsWith('Whiteout') && !c.refused) continue;
    test(`breakout ${c.name} (${mode})`, async () => {
      await withTempDir(async (dir) => {
        const ctx: Ctx = { root: join(dir, 'root'), out: join(dir, 'etc') };
        await fs.mkdir(ctx.root);
        await fs.mkdir(ctx.out);
        await fs.writeFile(join(ctx.out, 'passwd'), 'outside');
        await fs.writeFile(join(ctx.out, 'emptied'), 'notempty');
        await fs.writeFile(join(ctx.out, 'perm400'), '...', { mode: 0o400 });
        const outsideBefore = await snapshot(ctx.out);
        await c.before?.(ctx);
        const tar = await tarOf(c.tar(ctx));
        const applying = applyLayer(Readable.from([tar]), ctx.root, { whiteouts: mode });
        if (c.refused) await assert.rejects(applying, c.refused);
        else {
          await applying;
          await c.check?.(ctx);
        }
        assert.deepEqual(await snapshot(ctx.out), outsideBefore, 'the directory outside the layer changed');
        assert.deepEqual((await fs.readdir(dir)).sort(), ['etc', 'root']);
        const outside = await fs.stat(join(ctx.out, 'passwd'));
        assert.equal(outside.nlink, 1, 'a hardlink to the outside file was made');
      });
    });
  }
}
