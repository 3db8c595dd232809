// The build context held in memory: its sources resolve and hash exactly as they do once the
// context is extracted (so the cache keys do not depend on which path a build took), nothing is
// written to disk until a step copies from it, and large or unusual contexts still work.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeTar, type TarWriteEntry } from '../../../src/layers/archive/tar-writer.js';
import { BuildContext, hashSource, resolveSources, IN_MEMORY_CONTEXT_BYTES } from '../../../src/build/context/build-context.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'berth-ctx-index-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

const file = (name: string, body: string | Buffer, extra: Partial<TarWriteEntry['header']> = {}): TarWriteEntry => {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { header: { name, type: 'file', mode: 0o644, size: data.length, mtimeNs: 1_700_000_000_000_000_000n, ...extra }, body: data };
};
const dir = (name: string, extra: Partial<TarWriteEntry['header']> = {}): TarWriteEntry => ({ header: { name, type: 'dir', mode: 0o755, ...extra } });
const link = (name: string, target: string): TarWriteEntry => ({ header: { name, type: 'symlink', mode: 0o777, linkname: target } });

function sample(mtimeNs = 1_700_000_000_000_000_000n, aByte = 'a'): TarWriteEntry[] {
  return [
    file('.dockerignore', 'src/secret.txt\n*.log\n'),
    file('Dockerfile', 'FROM busybox\nCOPY src/ /src/\n'),
    dir('src/'),
    file('src/a.txt', `${aByte}aaa\n`, { mtimeNs }),
    file('src/b.txt', 'bbb\n', { mode: 0o600, uid: 1000, gid: 1000 }),
    file('src/run.sh', '#!/bin/sh\n', { mode: 0o755 }),
    file('src/secret.txt', 'hidden\n'),
    file('debug.log', 'noise\n'),
    dir('src/sub/', { mode: 0o700, uid: 7 }),
    file('src/sub/deep.bin', Buffer.alloc(100_000, 3)),
    link('src/latest', 'a.txt'),
    link('dirlink', 'src/sub'),
  ];
}

const open = (entries: TarWriteEntry[]) => BuildContext.fromTar(writeTar(entries), tmpRoot);

test('a small context is indexed in memory: sources resolve and hash as the extracted tree does', async () => {
  const ctx = await open(sample());
  try {
    assert.equal(await ctx.readDockerfile(''), 'FROM busybox\nCOPY src/ /src/\n');
    const sources = ['.', 'src', 'src/a.txt', 'src/*.txt', 'src/*', '*', 'src/sub/deep.bin', 'src/latest'];
    const fromIndex = new Map<string, string[]>();
    const hashes = new Map<string, string>();
    for (const s of sources) {
      const rels = await ctx.resolveSources(s, 'COPY');
      fromIndex.set(s, rels);
      for (const r of rels) if (r !== 'src/latest' && r !== 'dirlink') hashes.set(r, await ctx.hashSource(r));
    }
    // Nothing was written to disk to answer all that.
    assert.equal(existsSync(ctx.root), false);
    assert.deepEqual(fromIndex.get('src/*.txt'), ['src/a.txt', 'src/b.txt']);
    assert.ok(!fromIndex.get('*')!.includes('debug.log'), '.dockerignore applies to globs');
    await assert.rejects(ctx.resolveSources('src/secret.txt', 'COPY'), /excluded by \.dockerignore/);
    await assert.rejects(ctx.resolveSources('nope', 'COPY'), /file not found in build context/);
    await assert.rejects(ctx.resolveSources('../x', 'COPY'), /outside the build context/);

    await ctx.extract();
    for (const s of sources) assert.deepEqual(await resolveSources(ctx, s, 'COPY'), fromIndex.get(s), s);
    for (const [rel, h] of hashes) assert.equal(await hashSource(ctx, rel), h, rel);
  } finally {
    await ctx.close();
  }
  assert.equal(existsSync(ctx.root), false, 'close removes the extracted context');
});

test('content decides the hash, not mtimes; one changed byte changes it', async () => {
  const hashOf = async (entries: TarWriteEntry[]) => {
    const ctx = await open(entries);
    try {
      return await ctx.hashSource('src');
    } finally {
      await ctx.close();
    }
  };
  const base = await hashOf(sample());
  assert.equal(await hashOf(sample(1_800_000_000_000_000_000n)), base);
  assert.notEqual(await hashOf(sample(undefined, 'b')), base);
});

test('symlinks on the way, directories without entries and large contexts take the extracted path with the same results', async () => {
  const ctx = await open(sample());
  let viaLink: string;
  try {
    // Following dirlink needs the real tree: the context is extracted for it.
    assert.deepEqual(await ctx.resolveSources('dirlink/deep.bin', 'COPY'), ['dirlink/deep.bin']);
    viaLink = await ctx.hashSource('dirlink');
    assert.equal(existsSync(ctx.root), true);
    assert.equal(viaLink, await ctx.hashSource('src/sub'));
  } finally {
    await ctx.close();
  }

  // No entry for src/: extraction makes it 0755 root-owned, and the hash says so.
  const implicit = await open(sample().filter((e) => e.header.name !== 'src/'));
  try {
    assert.deepEqual(await implicit.resolveSources('src/*.txt', 'COPY'), ['src/a.txt', 'src/b.txt']);
    assert.equal(await implicit.hashSource('src/a.txt'), await hashSource(implicit, 'src/a.txt'));
  } finally {
    await implicit.close();
  }

  const bigBody = randomBytes(IN_MEMORY_CONTEXT_BYTES + 1024);
  const big = await open([...sample(), file('big.bin', bigBody)]);
  try {
    assert.equal(existsSync(big.root), true, 'a large context is extracted as it arrives');
    const small = await open(sample());
    try {
      assert.equal(await big.hashSource('src'), await small.hashSource('src'));
    } finally {
      await small.close();
    }
  } finally {
    await big.close();
  }
});

test('a context that is not a tar is refused and leaves nothing behind', async () => {
  const { Readable } = await import('node:stream');
  await assert.rejects(BuildContext.fromTar(Readable.from([Buffer.alloc(2048, 7)]), tmpRoot), /failed to read the build context/);
});
