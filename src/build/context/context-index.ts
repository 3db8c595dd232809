// The build context as an in-memory index of its tar: each path's type, mode, owner, link target
// and content digest, taken in the one pass that receives it, so COPY/ADD sources are found and
// hashed without extracting anything. Contexts it does not model exactly are left to extraction.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { readTar } from '../../layers/archive/tar-reader.js';
import { cleanArchiveName, PathEscape } from '../../layers/archive/root-path.js';
import { WHITEOUT_PREFIX } from '../../layers/archive/whiteouts.js';

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** Files up to this size keep their bytes (the Dockerfile and .dockerignore are read from here). */
const KEEP_BYTES = 64 << 10;

interface IndexNode {
  type: 'file' | 'dir' | 'symlink';
  /** As lstat(2) reports it after extraction: type bits and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
  /** sha256 of a file's bytes. */
  digest: string;
  data?: Buffer;
  /** A directory only its descendants named (extraction would make it 0755, owned by root). */
  implicit?: boolean;
  children?: string[];
}

/** What a path lookup found: a node, nothing, or a symlink on the way that the index does not follow. */
type Lookup = { node: IndexNode } | { missing: true } | { symlink: true };

export class ContextIndex {
  private constructor(private readonly nodes: Map<string, IndexNode>) {}

  /**
   * Reads a context tar. Undefined when the tar holds something whose extracted form the index
   * would not predict exactly (hard links, devices, whiteouts, duplicate or escaping names,
   * entries below a non-directory, directories with no entry of their own): extract those.
   */
  static async read(tar: Readable, rootOwner: { uid: number; gid: number }): Promise<ContextIndex | undefined> {
    const nodes = new Map<string, IndexNode>();
    nodes.set('', { type: 'dir', mode: S_IFDIR | 0o755, uid: rootOwner.uid, gid: rootOwner.gid, linkname: '', digest: '' });
    let modelled = true;
    for await (const { header: h, body } of readTar(tar)) {
      if (!modelled) {
        body.resume();
        continue;
      }
      let rel: string;
      try {
        rel = cleanArchiveName(h.name);
      } catch (err) {
        if (!(err instanceof PathEscape)) throw err;
        rel = '';
      }
      const base = posix.basename(rel);
      const existing = nodes.get(rel);
      if (rel === '' || base.startsWith(WHITEOUT_PREFIX) || (existing && !existing.implicit) || (existing && h.type !== 'dir')) modelled = false;
      else if (h.type !== 'file' && h.type !== 'dir' && h.type !== 'symlink') modelled = false;
      else if (!ensureParents(nodes, rel, !existing)) modelled = false;
      if (!modelled) {
        body.resume();
        continue;
      }
      const node: IndexNode = {
        type: h.type as IndexNode['type'],
        mode: h.type === 'symlink' ? S_IFLNK | 0o777 : (h.type === 'dir' ? S_IFDIR : S_IFREG) | h.mode,
        uid: h.uid,
        gid: h.gid,
        linkname: h.type === 'symlink' ? h.linkname : '',
        digest: '',
      };
      if (h.type === 'file') {
        const hash = createHash('sha256');
        const kept: Buffer[] = [];
        for await (const chunk of body) {
          hash.update(chunk as Buffer);
          if (h.size <= KEEP_BYTES) kept.push(chunk as Buffer);
        }
        node.digest = hash.digest('hex');
        if (h.size <= KEEP_BYTES) node.data = Buffer.concat(kept);
      } else body.resume();
      if (existing) node.children = existing.children;
      nodes.set(rel, node);
    }
    if (!modelled) return undefined;
    for (const n of nodes.values()) {
      if (n.implicit) return undefined;
      n.children?.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    return new ContextIndex(nodes);
  }

  /** Walks `rel` component by component; symlinks (the final one only if `followLast`) stop it. */
  private lookup(rel: string, followLast: boolean): Lookup {
    let path = '';
    const comps = rel.split('/').filter((c) => c !== '' && c !== '.');
    for (let i = 0; i < comps.length; i++) {
      const parent = this.nodes.get(path)!;
      if (parent.type === 'symlink') return { symlink: true };
      if (parent.type !== 'dir') return { missing: true };
      path = path ? `${path}/${comps[i]}` : comps[i]!;
      const node = this.nodes.get(path);
      if (!node) return { missing: true };
      if (node.type === 'symlink' && (i < comps.length - 1 || followLast)) return { symlink: true };
    }
    return { node: this.nodes.get(path)! };
  }

  /** A regular file's bytes; undefined when absent or not a file; null when the index cannot tell. */
  fileBytes(rel: string): Buffer | undefined | null {
    const l = this.lookup(rel, true);
    if ('symlink' in l) return null;
    if ('missing' in l || l.node.type !== 'file') return undefined;
    return l.node.data ?? null;
  }

  /** Whether `rel` exists (not following a final symlink); null when a symlink is on the way. */
  exists(rel: string): boolean | null {
    const l = this.lookup(rel, false);
    return 'symlink' in l ? null : 'node' in l;
  }

  /** Every path, directories before their contents, names sorted: the order a directory walk gives. */
  *paths(dir = ''): Generator<string> {
    for (const name of this.nodes.get(dir)?.children ?? []) {
      const rel = dir ? `${dir}/${name}` : name;
      yield rel;
      if (this.nodes.get(rel)!.type === 'dir') yield* this.paths(rel);
    }
  }

  /**
   * The content hash of `rel` (see hashSource in build-context.ts, which computes the same value
   * from an extracted tree); null when a symlink is on the way.
   */
  hash(rel: string, excluded: (rel: string) => boolean): string | null | undefined {
    const l = this.lookup(rel, true);
    if ('symlink' in l) return null;
    if ('missing' in l) return undefined;
    const h = createHash('sha256');
    const add = (node: IndexNode, name: string, ctxRel: string) => {
      h.update(entryLine(name, node.mode, node.uid, node.gid));
      if (node.type === 'symlink') h.update(`link:${node.linkname}\0`);
      else if (node.type === 'file') h.update(`sha256:${node.digest}\0`);
      else {
        for (const child of node.children ?? []) {
          const childRel = ctxRel ? `${ctxRel}/${child}` : child;
          if (excluded(childRel)) continue;
          add(this.nodes.get(childRel)!, `${name}/${child}`, childRel);
        }
      }
    };
    add(l.node, '.', rel);
    return h.digest('hex');
  }
}

/** The part of a source's hash that names one entry (shared with the hash of an extracted tree). */
export function entryLine(name: string, mode: number, uid: number, gid: number): string {
  return `${name}\0${mode.toString(8)}\0${uid}:${gid}\0`;
}

/** Makes sure every parent of `rel` is a directory node (listing `rel` in its parent); false when one is not. */
function ensureParents(nodes: Map<string, IndexNode>, rel: string, addChild: boolean): boolean {
  const parent = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
  let node = nodes.get(parent);
  if (!node) {
    if (!ensureParents(nodes, parent, true)) return false;
    node = { type: 'dir', mode: S_IFDIR | 0o755, uid: 0, gid: 0, linkname: '', digest: '', implicit: true };
    nodes.set(parent, node);
  }
  if (node.type !== 'dir') return false;
  if (addChild) (node.children ??= []).push(posix.basename(rel));
  return true;
}
