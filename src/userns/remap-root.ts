// daemon.json `userns-remap` / `--userns-remap`: turns "default", "user" or "user:group" into the
// identity mapping containers get, creating Docker's `dockremap` user and its subordinate ranges
// when "default" needs them (the only caller of useradd and usermod), and prepares the remapped
// root `<data-root>/<uid>.<gid>/` where the daemon's stores then live.
import { promises as fs } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { InvalidParameter, SystemError } from '../lib/errors.js';
import { IdMapping } from './id-mapping.js';
import { nextFreeRange, parseSubIds, rangesOf, RANGE_LENGTH } from './subid.js';

const run = promisify(execFile);

/** Docker's name for the user `"userns-remap": "default"` creates. */
export const DEFAULT_REMAP_USER = 'dockremap';

export interface RemapFiles {
  passwd: string;
  group: string;
  subuid: string;
  subgid: string;
}

const SYSTEM_FILES: RemapFiles = { passwd: '/etc/passwd', group: '/etc/group', subuid: '/etc/subuid', subgid: '/etc/subgid' };

export interface RemapSetting {
  user: string;
  group: string;
  /** "default": the user and its ranges are created when missing. */
  create: boolean;
}

/** Splits the setting as dockerd does: "default" is dockremap:dockremap; a lone user is also its group. */
export function parseRemapSetting(value: string): RemapSetting {
  const v = value.trim();
  if (v === '') throw new InvalidParameter('userns-remap: empty value; use "default", "USER" or "USER:GROUP"');
  const parts = v.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new InvalidParameter(`Invalid user/group specification in --userns-remap: ${JSON.stringify(v)}`);
  if (parts[0] === 'default') {
    if (parts.length === 2) throw new InvalidParameter(`Invalid user/group specification in --userns-remap: ${JSON.stringify(v)}: "default" takes no group`);
    return { user: DEFAULT_REMAP_USER, group: DEFAULT_REMAP_USER, create: true };
  }
  return { user: parts[0]!, group: parts[1] ?? parts[0]!, create: false };
}

interface DbEntry {
  name: string;
  id: number;
}

/** Finds a name or numeric id in /etc/passwd or /etc/group (name:x:id:…). */
function lookup(text: string, want: string): DbEntry | undefined {
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    if (name === want || id === want) return { name, id: Number(id) };
  }
  return undefined;
}

const readOrEmpty = (p: string) => fs.readFile(p, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));

/** Resolves the setting to its mapping; with "default", creates `dockremap` and its ranges first. */
export async function resolveRemap(value: string, files: RemapFiles = SYSTEM_FILES): Promise<{ mapping: IdMapping; user: string; group: string; created: string[] }> {
  const s = parseRemapSetting(value);
  const created: string[] = [];
  if (s.create) created.push(...(await ensureDefaultUser(files)));
  const [passwd, groups, subuid, subgid] = await Promise.all([files.passwd, files.group, files.subuid, files.subgid].map(readOrEmpty));
  const user = lookup(passwd!, s.user);
  if (!user) throw new InvalidParameter(`Error during uid lookup for ${JSON.stringify(s.user)}: user ${s.user} not found in ${files.passwd}`);
  const group = lookup(groups!, s.group);
  if (!group) throw new InvalidParameter(`Error during gid lookup for ${JSON.stringify(s.group)}: group ${s.group} not found in ${files.group}`);
  const uids = rangesOf(parseSubIds(subuid!, files.subuid), user.name, user.id);
  if (!uids.length) throw new InvalidParameter(`No subuid ranges found for user ${JSON.stringify(user.name)} in ${files.subuid}`);
  const gids = rangesOf(parseSubIds(subgid!, files.subgid), group.name, group.id);
  if (!gids.length) throw new InvalidParameter(`No subgid ranges found for group ${JSON.stringify(group.name)} in ${files.subgid}`);
  return { mapping: IdMapping.fromRanges(uids, gids), user: user.name, group: group.name, created };
}

/** Docker's AddNamespaceRangesUser: a system user with no shell, then one 65536-id range each. */
async function ensureDefaultUser(files: RemapFiles): Promise<string[]> {
  const made: string[] = [];
  const name = DEFAULT_REMAP_USER;
  if (!lookup(await readOrEmpty(files.passwd), name)) {
    await tool('useradd', ['-r', '-s', '/bin/false', name]);
    made.push(`user ${name}`);
  }
  for (const [file, flag] of [[files.subuid, '-v'], [files.subgid, '-w']] as const) {
    const ranges = parseSubIds(await readOrEmpty(file), file);
    const uid = lookup(await readOrEmpty(files.passwd), name)?.id;
    if (rangesOf(ranges, name, uid).length) continue;
    const start = nextFreeRange(ranges);
    await tool('usermod', [flag, `${start}-${start + RANGE_LENGTH - 1}`, name]);
    made.push(`${file} ${name}:${start}:${RANGE_LENGTH}`);
  }
  return made;
}

async function tool(cmd: string, args: string[]): Promise<void> {
  try {
    await run(cmd, args, { env: { ...process.env, PATH: `/usr/sbin:/sbin:${process.env.PATH ?? '/usr/bin:/bin'}` } });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new SystemError(`Couldn't create subordinate ID ranges: ${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/**
 * Creates `<dataRoot>/<uid>.<gid>` (root-owned, group the remapped root, mode 0710, as dockerd
 * does) and refuses, as dockerd does, a data root whose parents the remapped root cannot traverse:
 * container start would fail later with "permission denied".
 */
export async function prepareRemappedRoot(dataRoot: string, mapping: IdMapping): Promise<string> {
  const { uid, gid } = mapping.root;
  const root = join(dataRoot, `${uid}.${gid}`);
  for (let dir = dataRoot; dir !== '/' && dir !== '.'; dir = dirname(dir)) {
    const st = await fs.stat(dir);
    const ok = st.uid === uid ? (st.mode & 0o100) !== 0 : st.gid === gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
    if (!ok) {
      throw new InvalidParameter(`a subdirectory in your graphroot path (${root}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories (${dir} is ${(st.mode & 0o777).toString(8)})`);
    }
  }
  await fs.mkdir(root, { recursive: true, mode: 0o710 });
  await fs.chown(root, 0, gid);
  await fs.chmod(root, 0o710);
  return root;
}

/** Store directories the remapped root walks through (rootfs and bind-mount sources): root:<gid> 0710. */
export async function openToRemappedRoot(dirs: string[], mapping: IdMapping): Promise<void> {
  const { gid } = mapping.root;
  for (const d of dirs) {
    await fs.mkdir(d, { recursive: true, mode: 0o710 });
    await fs.chown(d, 0, gid);
    const st = await fs.stat(d);
    if ((st.mode & 0o010) === 0) await fs.chmod(d, (st.mode & 0o7777) | 0o010);
  }
}

/**
 * The daemon's part: with `userns-remap` set, the mapping and the remapped root its stores live
 * in (networking and the engine id stay in the data root); without, the data root itself.
 */
export async function setupRemap(dataRoot: string, setting: string | undefined, log: { info(m: string): void }): Promise<{ storeRoot: string; mapping?: IdMapping }> {
  if (!setting) return { storeRoot: dataRoot };
  const r = await resolveRemap(setting);
  for (const what of r.created) log.info(`userns-remap: created ${what}`);
  const storeRoot = await prepareRemappedRoot(dataRoot, r.mapping);
  log.info(`userns-remap: containers run as ${r.user}:${r.group} (root is ${r.mapping.root.uid}:${r.mapping.root.gid} on the host); stores in ${storeRoot}`);
  return { storeRoot, mapping: r.mapping };
}
