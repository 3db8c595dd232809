// Resolves Docker's --user forms (name, uid, uid:gid, name:group …) against the image's
// /etc/passwd and /etc/group contents, as runc's user package does for dockerd: first match wins,
// numeric ids need no entry, and supplementary groups come from membership only in the implicit form.
import { InvalidParameter } from '../../lib/errors.js';
import type { OciUser } from './types.js';

const MAX_ID = 2147483647;

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(':'));
}

function toInt(s: string | undefined): number {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((f) => ({ name: f[0] ?? '', uid: toInt(f[2]), gid: toInt(f[3]) }));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map((f) => ({
    name: f[0] ?? '',
    gid: toInt(f[2]),
    members: (f[3] ?? '').split(',').filter((m) => m !== ''),
  }));
}

interface IdArg {
  name: string;
  id: number;
  numeric: boolean;
}

function parseArg(s: string): IdArg | undefined {
  if (s === '') return undefined;
  if (!/^[+-]?\d+$/.test(s)) return { name: s, id: 0, numeric: false };
  const id = Number(s);
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) {
    throw new InvalidParameter(`uids and gids must be in range 0-${MAX_ID}`);
  }
  return { name: s, id, numeric: true };
}

/**
 * The OCI process user for `spec`. `passwd`/`group` undefined means the image has no such file:
 * numeric ids still work, names fail as they do with Docker.
 */
export function resolveUser(spec: string | undefined, passwd?: string, group?: string): OciUser {
  const [usr = '', grp = ''] = splitOnce(spec ?? '', ':');
  const userArg = parseArg(usr);
  const groupArg = parseArg(grp);

  let uid = 0;
  let gid = 0;
  let sgids: number[] = [];
  const users = (passwd === undefined ? [] : parsePasswd(passwd)).filter((u) =>
    userArg === undefined ? u.uid === 0 : userArg.numeric ? u.uid === userArg.id : u.name === userArg.name,
  );
  let matchedName = '';
  const first = users[0];
  if (first) {
    matchedName = first.name;
    uid = first.uid;
    gid = first.gid;
  } else if (userArg !== undefined) {
    if (!userArg.numeric) {
      throw new InvalidParameter(`unable to find user ${userArg.name}: no matching entries in passwd file`);
    }
    uid = userArg.id;
  }

  if (groupArg !== undefined || matchedName !== '') {
    const groups = (group === undefined ? [] : parseGroup(group)).filter((g) =>
      groupArg === undefined
        ? g.members.includes(matchedName)
        : groupArg.numeric
          ? g.gid === groupArg.id
          : g.name === groupArg.name,
    );
    if (groupArg !== undefined) {
      const g = groups[0];
      if (g) gid = g.gid;
      else if (!groupArg.numeric) {
        throw new InvalidParameter(`unable to find group ${groupArg.name}: no matching entries in group file`);
      } else gid = groupArg.id;
    } else {
      sgids = groups.map((g) => g.gid);
    }
  }
  // dockerd always lists the primary gid first among the additional gids.
  return { uid, gid, additionalGids: [gid, ...sgids] };
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
