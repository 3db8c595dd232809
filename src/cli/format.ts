// What `ps` and `images` print for each API object: the template fields of docker/cli's
// ContainerContext and imageContext (ID truncation, quoted/ellipsized COMMAND, CREATED as
// "5 minutes ago", port ranges, decimal sizes), computed up front as plain strings.

import { humanSizeWithPrecision, timeAgo } from './units.js';

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: PortSummary[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  Mounts?: { Name?: string; Source?: string; Driver?: string }[];
  NetworkSettings?: { Networks?: Record<string, unknown> } | null;
}

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Size?: number;
  SharedSize?: number;
  Containers?: number;
  Labels?: Record<string, string> | null;
}

/** stringid.TruncateID: drop the algorithm prefix, keep 12 characters. */
export function truncateID(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon === -1 ? id : id.slice(colon + 1);
  return bare.slice(0, 12);
}

/** formatter.Ellipsis for ASCII and wide characters alike, counting display columns. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const runes = [...s];
  if (max === 1) return runes[0] ?? '';
  const width = (r: string): number => (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(r) ? 2 : 1);
  let total = 0;
  const ends: number[] = [];
  for (const r of runes) {
    total += width(r);
    ends.push(total);
  }
  if (total <= max) return s;
  let i = 0;
  while (i < ends.length && ends[i]! <= max - 1) i++;
  return runes.slice(0, i).join('') + '…';
}

/** Go's time.Time.String() for a Unix time in the local zone ("2025-01-02 15:04:05 +0000 UTC"). */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offMin = -d.getTimezoneOffset();
  const p = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
  const sign = offMin >= 0 ? '+' : '-';
  const off = `${sign}${p(Math.trunc(Math.abs(offMin) / 60))}${p(Math.abs(offMin) % 60)}`;
  let zone = off;
  if (offMin === 0 && !process.env.TZ) zone = 'UTC';
  else {
    const name = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value;
    if (name && !name.startsWith('GMT')) zone = name;
    else if (offMin === 0) zone = 'UTC';
  }
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${off} ${zone}`;
}

function ipLess(a: string, b: string): boolean {
  const isV4 = (x: string): boolean => x.includes('.') && !x.includes(':');
  if (isV4(a) !== isV4(b)) return isV4(a);
  if (isV4(a)) {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! < pb[i]!;
    return false;
  }
  return a < b;
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** formatter.DisplayablePorts: consecutive ports grouped into ranges, host mappings last. */
export function displayablePorts(input: readonly PortSummary[]): string {
  const ports = [...input].sort((i, j) => {
    if (i.PrivatePort !== j.PrivatePort) return i.PrivatePort - j.PrivatePort;
    const ii = i.IP ?? '';
    const ji = j.IP ?? '';
    if (ii !== ji) return ii === '' ? -1 : ji === '' ? 1 : ipLess(ii, ji) ? -1 : 1;
    if ((i.PublicPort ?? 0) !== (j.PublicPort ?? 0)) return (i.PublicPort ?? 0) - (j.PublicPort ?? 0);
    return i.Type < j.Type ? -1 : i.Type > j.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const keys: string[] = [];
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, start: number, last: number): string => {
    const parts = key.split('/');
    let type = parts[0]!;
    let ip = '';
    if (parts.length > 1) {
      ip = parts[0]!;
      type = parts[1]!;
    }
    let group = start === last ? String(start) : `${start}-${last}`;
    if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${type}`;
  };
  for (const port of ports) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if ((port.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(port.IP, String(port.PublicPort ?? 0))}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      keys.push(key);
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const key of keys) {
    const g = groups.get(key)!;
    result.push(formGroup(key, g.first, g.last));
  }
  return [...result, ...hostMappings].join(', ');
}

/** reference.FamiliarString of the image a container was created from, as ps shows it. */
function familiarImage(image: string): string {
  let s = image;
  for (const prefix of ['docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/']) {
    if (s.startsWith(prefix)) {
      s = s.slice(prefix.length);
      break;
    }
  }
  const at = s.indexOf('@');
  if (at !== -1) {
    const name = s.slice(0, at);
    const lastSlash = name.lastIndexOf('/');
    // A digested reference that also has a tag is shown by its tag only.
    if (name.slice(lastSlash + 1).includes(':')) s = name;
  }
  return s;
}

/** The fields of one `docker ps` row. */
export function containerRow(c: ContainerSummary, trunc: boolean, now = Date.now()): Record<string, string> {
  const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  let shownNames: string;
  if (trunc) shownNames = names.find((n) => !n.includes('/')) ?? '';
  else shownNames = names.join(',');
  let image = c.Image ?? '';
  if (image === '') image = '<no image>';
  else if (trunc) {
    if (truncateID(c.ImageID ?? '') === truncateID(image)) image = truncateID(image);
    else image = familiarImage(image);
  }
  const command = trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? '');
  const srw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
  const size = (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSizeWithPrecision(c.SizeRootFs!, 3)})` : srw;
  const labels = Object.entries(c.Labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
  const mounts = (c.Mounts ?? []).map((m) => {
    const n = m.Name ? m.Name : (m.Source ?? '');
    return trunc ? ellipsis(n, 15) : n;
  });
  return {
    Command: JSON.stringify(command),
    CreatedAt: goTimeString(c.Created ?? 0),
    ID: trunc ? truncateID(c.Id) : c.Id,
    Image: image,
    Labels: labels,
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Mounts: mounts.join(','),
    Names: shownNames,
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Ports: displayablePorts(c.Ports ?? []),
    RunningFor: timeAgo(c.Created ?? 0, now),
    Size: size,
    State: c.State ?? '',
    Status: c.Status ?? '',
  };
}

export const containerHeader: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

export const defaultContainerTableFormat = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const imageHeader: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'SIZE',
};

export const defaultImageTableFormat = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const defaultImageTableFormatWithDigest =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

/** Splits "name:tag" / "name@digest" at the right separator (a registry port is not a tag). */
function splitRef(ref: string, sep: ':' | '@'): [string, string] | undefined {
  const i = ref.lastIndexOf(sep);
  if (i === -1) return undefined;
  const name = ref.slice(0, i);
  if (sep === ':' && ref.slice(i + 1).includes('/')) return undefined;
  return [familiarImage(name), ref.slice(i + 1)];
}

/** imageFormat: one row per repository:tag (and digest when asked), <none> rows for dangling images. */
export function imageRows(images: readonly ImageSummary[], opts: { trunc: boolean; digests: boolean; formatHasDigest: boolean }, now = Date.now()): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const img of images) {
    const base = (repo: string, tag: string, digest: string): Record<string, string> => ({
      Containers: (img.Containers ?? -1) === -1 ? 'N/A' : String(img.Containers),
      CreatedAt: goTimeString(img.Created ?? 0),
      CreatedSince: img.Created ? timeAgo(img.Created, now) : '',
      Digest: digest,
      ID: opts.trunc ? truncateID(img.Id) : img.Id,
      Repository: repo,
      SharedSize: (img.SharedSize ?? -1) === -1 ? 'N/A' : humanSizeWithPrecision(img.SharedSize!, 4),
      Size: humanSizeWithPrecision(img.Size ?? 0, 3),
      Tag: tag,
      UniqueSize: (img.Size ?? -1) === -1 || (img.SharedSize ?? -1) === -1 ? 'N/A' : humanSizeWithPrecision((img.Size ?? 0) - (img.SharedSize ?? 0), 4),
      // Deprecated in the API but still a field of docker's image rows (and of their JSON).
      VirtualSize: humanSizeWithPrecision(img.Size ?? 0, 4),
    });
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const digests = (img.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
    if (tags.length === 0 && digests.length === 0) {
      rows.push(base('<none>', '<none>', '<none>'));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of tags) {
      const s = splitRef(t, ':');
      if (s) repoTags.set(s[0], [...(repoTags.get(s[0]) ?? []), s[1]]);
    }
    for (const d of digests) {
      const s = splitRef(d, '@');
      if (s) repoDigests.set(s[0], [...(repoDigests.get(s[0]) ?? []), s[1]]);
    }
    const needDigest = opts.digests || opts.formatHasDigest;
    for (const [repo, ts] of repoTags) {
      const ds = needDigest ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const t of ts) {
        if (ds.length === 0) rows.push(base(repo, t, '<none>'));
        else for (const d of ds) rows.push(base(repo, t, d));
      }
    }
    for (const [repo, ds] of repoDigests) {
      if (opts.digests) for (const d of ds) rows.push(base(repo, '<none>', d));
      else rows.push(base(repo, '<none>', ''));
    }
  }
  return rows;
}
