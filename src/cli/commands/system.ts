// System commands: `version` and `info` laid out as docker prints them (or through --format), and
// the Berth-only `bootstrap` (POST /berth/bootstrap: the daemon builds busybox:latest from Debian's
// busybox-static) and `registry` (handed to the registry's own command line).

import { readFileSync } from 'node:fs';
import { CLIENT_API_VERSION, jsonMessages } from '../client.js';
import { inspectFormatHelp, noArgs, rangeArgs, type Command, type CommandContext } from '../command.js';
import { asGoStruct, parseDockerTemplate, TemplateError } from '../template/index.js';
import { TabWriter } from '../template/tabwriter.js';
import { StatusError } from '../status-error.js';

function berthVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'dev';
  } catch {
    return 'dev';
  }
}

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** Go's time.ANSIC ("Mon Jan  2 15:04:05 2006") for an RFC 3339 build time; other text as is. */
export function reformatDate(buildTime: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(buildTime)) return buildTime;
  const d = new Date(buildTime);
  if (Number.isNaN(d.getTime())) return buildTime;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string> | null;
}

interface ServerVersion {
  Platform?: { Name?: string };
  Components?: ComponentVersion[];
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

/**
 * --format for version and info: a template that does not parse exits 64; one that fails while
 * running prints an empty line and the bare Go error (exit 1). The data is a Go struct to the
 * template, so an unknown field is an error naming goType.
 */
function renderFormat(ctx: CommandContext, format: string, data: object, name: string, goType: string): void {
  let tmpl;
  try {
    tmpl = parseDockerTemplate(format === 'json' ? '{{json .}}' : format, name);
  } catch (err) {
    if (err instanceof TemplateError) throw new StatusError(`template parsing error: ${err.message}`, 64);
    throw err;
  }
  try {
    ctx.stdout.write(tmpl.execute(asGoStruct({ ...data }, goType)) + '\n');
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    ctx.stdout.write('\n');
    throw new StatusError(err.message, 1);
  }
}

export const versionCommand: Command = {
  name: 'version',
  usage: '[OPTIONS]',
  short: 'Show the Berth version information',
  args: noArgs,
  flags: [{ name: 'format', short: 'f', kind: 'string', help: inspectFormatHelp }],
  async run(ctx, flags) {
    const client = ctx.client();
    let serverErr: Error | undefined;
    let sv: ServerVersion | undefined;
    try {
      sv = await client.json<ServerVersion>('GET', '/version');
    } catch (err) {
      serverErr = err as Error;
    }
    const clientInfo = {
      Version: berthVersion(),
      ApiVersion: client.apiVersion,
      DefaultAPIVersion: CLIENT_API_VERSION,
      NodeVersion: process.version,
      Os: process.platform,
      Arch: goArch[process.arch] ?? process.arch,
      Context: 'default',
    };
    let server: (ServerVersion & { Components: ComponentVersion[] }) | null = null;
    if (sv) {
      const components = (sv.Components ?? []).map((c) => {
        if (c.Name !== 'Engine' || !c.Details?.BuildTime) return c;
        return { ...c, Details: { ...c.Details, BuildTime: reformatDate(c.Details.BuildTime) } };
      });
      if (!components.some((c) => c.Name === 'Engine')) {
        components.push({
          Name: 'Engine',
          Version: sv.Version ?? '',
          Details: { ApiVersion: sv.ApiVersion ?? '', MinAPIVersion: sv.MinAPIVersion ?? '', Os: sv.Os ?? '', Arch: sv.Arch ?? '' },
        });
      }
      server = { ...sv, Components: components };
    }
    const format = flags.string('format');
    if (format) {
      renderFormat(ctx, format, { Client: clientInfo, Server: server }, 'version', 'system.versionInfo');
    } else {
      const lines = [
        'Client:',
        ` Version:\t${clientInfo.Version}`,
        ` API version:\t${clientInfo.ApiVersion}${clientInfo.ApiVersion !== CLIENT_API_VERSION ? ` (downgraded from ${CLIENT_API_VERSION})` : ''}`,
        ` Node.js version:\t${clientInfo.NodeVersion}`,
        ` OS/Arch:\t${clientInfo.Os}/${clientInfo.Arch}`,
        ` Context:\t${clientInfo.Context}`,
      ];
      if (server) {
        lines.push('', `Server:${server.Platform?.Name ? ' ' + server.Platform.Name : ''}`);
        for (const c of server.Components) {
          const d = c.Details ?? {};
          lines.push(` ${c.Name}:`);
          if (c.Name === 'Engine') {
            lines.push(
              `  Version:\t${c.Version}`,
              `  API version:\t${d.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? ''})`,
              `  Go version:\t${d.GoVersion ?? ''}`,
              `  Git commit:\t${d.GitCommit ?? ''}`,
              `  Built:\t${d.BuildTime ?? ''}`,
              `  OS/Arch:\t${d.Os ?? ''}/${d.Arch ?? ''}`,
              `  Experimental:\t${d.Experimental ?? ''}`,
            );
          } else {
            lines.push(`  Version:\t${c.Version}`);
            for (const k of Object.keys(d).sort()) lines.push(`  ${k}:\t${d[k]}`);
          }
        }
      }
      const tw = new TabWriter(20, 1, 1, ' ', 0);
      tw.write(lines.join('\n') + '\n');
      tw.flush();
      ctx.stdout.write(tw.result());
    }
    if (serverErr) throw serverErr;
  },
};

/** units.BytesSize: binary units with 4 significant digits ("1.934GiB"). */
function bytesSize(n: number): string {
  const abbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let i = 0;
  while (n >= 1024 && i < abbrs.length - 1) {
    n /= 1024;
    i++;
  }
  return String(Number(n.toPrecision(4))) + abbrs[i];
}

type Info = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function serverInfoLines(info: Info): string[] {
  const out: string[] = [];
  const ln = (...parts: unknown[]): void => {
    out.push(parts.map((p) => String(p)).join(' '));
  };
  const lnNonEmpty = (label: string, v: unknown): void => {
    if (v !== undefined && v !== null && v !== '') ln(label, v);
  };
  ln(' Containers:', info.Containers ?? 0);
  ln('  Running:', info.ContainersRunning ?? 0);
  ln('  Paused:', info.ContainersPaused ?? 0);
  ln('  Stopped:', info.ContainersStopped ?? 0);
  ln(' Images:', info.Images ?? 0);
  lnNonEmpty(' Server Version:', info.ServerVersion);
  lnNonEmpty(' Storage Driver:', info.Driver);
  for (const [k, v] of (info.DriverStatus ?? []) as [string, string][]) out.push(`  ${k}: ${v}`);
  for (const [k, v] of (info.SystemStatus ?? []) as [string, string][]) out.push(` ${k}: ${v}`);
  lnNonEmpty(' Logging Driver:', info.LoggingDriver);
  lnNonEmpty(' Cgroup Driver:', info.CgroupDriver);
  lnNonEmpty(' Cgroup Version:', info.CgroupVersion);
  const plugins = info.Plugins ?? {};
  ln(' Plugins:');
  ln('  Volume:', (plugins.Volume ?? []).join(' '));
  ln('  Network:', (plugins.Network ?? []).join(' '));
  if ((plugins.Authorization ?? []).length) ln('  Authorization:', plugins.Authorization.join(' '));
  ln('  Log:', (plugins.Log ?? []).join(' '));
  ln(' Swarm:', info.Swarm?.LocalNodeState ?? 'inactive');
  const runtimes = Object.keys(info.Runtimes ?? {}).sort();
  if (runtimes.length) {
    ln(' Runtimes:', runtimes.join(' '));
    ln(' Default Runtime:', info.DefaultRuntime ?? '');
  }
  if (info.OSType === 'linux') {
    ln(' Init Binary:', info.InitBinary ?? '');
    ln(' containerd version:', info.ContainerdCommit?.ID ?? '');
    ln(' runc version:', info.RuncCommit?.ID ?? '');
    ln(' init version:', info.InitCommit?.ID ?? '');
    const secopts = (info.SecurityOptions ?? []) as string[];
    if (secopts.length) {
      ln(' Security Options:');
      for (const so of secopts) {
        if (!so.includes('=')) {
          out.push('  ' + so);
          continue;
        }
        const fields = Object.fromEntries(so.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
        out.push('  ' + (fields.name ?? ''));
        if (fields.profile !== undefined) ln('   Profile:', fields.profile);
      }
    }
  }
  lnNonEmpty(' Kernel Version:', info.KernelVersion);
  lnNonEmpty(' Operating System:', info.OperatingSystem);
  lnNonEmpty(' OSType:', info.OSType);
  lnNonEmpty(' Architecture:', info.Architecture);
  ln(' CPUs:', info.NCPU ?? 0);
  ln(' Total Memory:', bytesSize(info.MemTotal ?? 0));
  lnNonEmpty(' Name:', info.Name);
  lnNonEmpty(' ID:', info.ID);
  ln(' Docker Root Dir:', info.DockerRootDir ?? '');
  ln(' Debug Mode:', Boolean(info.Debug));
  lnNonEmpty(' HTTP Proxy:', info.HttpProxy);
  lnNonEmpty(' HTTPS Proxy:', info.HttpsProxy);
  lnNonEmpty(' No Proxy:', info.NoProxy);
  if ((info.Labels ?? []).length) {
    ln(' Labels:');
    for (const l of info.Labels as string[]) out.push('  ' + l);
  }
  ln(' Experimental:', Boolean(info.ExperimentalBuild));
  const reg = info.RegistryConfig;
  if (reg && ((reg.InsecureRegistryCIDRs ?? []).length || Object.keys(reg.IndexConfigs ?? {}).length)) {
    ln(' Insecure Registries:');
    for (const ic of Object.values(reg.IndexConfigs ?? {}) as { Name: string; Secure: boolean }[]) if (!ic.Secure) out.push('  ' + ic.Name);
    for (const cidr of reg.InsecureRegistryCIDRs ?? []) out.push(`  ${cidr}`);
  }
  if (reg && (reg.Mirrors ?? []).length) {
    ln(' Registry Mirrors:');
    for (const m of reg.Mirrors) out.push('  ' + m);
  }
  ln(' Live Restore Enabled:', Boolean(info.LiveRestoreEnabled));
  if ((info.DefaultAddressPools ?? []).length) {
    ln(' Default Address Pools:');
    for (const p of info.DefaultAddressPools as { Base: string; Size: number }[]) out.push(`   Base: ${p.Base}, Size: ${p.Size}`);
  }
  return out;
}

export const infoCommand: Command = {
  name: 'info',
  usage: '[OPTIONS]',
  short: 'Display system-wide information',
  args: noArgs,
  flags: [{ name: 'format', short: 'f', kind: 'string', help: inspectFormatHelp }],
  async run(ctx, flags) {
    const clientInfo = { Version: berthVersion(), Context: 'default', Debug: false, Plugins: [], Warnings: null };
    const format = flags.string('format');
    if (format) {
      let info: Info = {};
      const serverErrors: string[] = [];
      try {
        info = await ctx.client().json<Info>('GET', '/info');
      } catch (err) {
        serverErrors.push((err as Error).message);
      }
      const data = { ...info, ClientInfo: clientInfo, ...(serverErrors.length ? { ServerErrors: serverErrors } : {}) };
      renderFormat(ctx, format, data, '', 'system.dockerInfo');
      if (serverErrors.length) throw new StatusError(serverErrors.join('\n'), 1);
      return;
    }
    ctx.stdout.write(`Client:\n Version:    ${clientInfo.Version}\n Context:    ${clientInfo.Context}\n Debug Mode: ${clientInfo.Debug}\n\nServer:\n`);
    const info = await ctx.client().json<Info>('GET', '/info');
    ctx.stdout.write(serverInfoLines(info).join('\n') + '\n\n');
    const warnings = (info.Warnings ?? []) as string[];
    if (warnings.length) ctx.stderr.write(warnings.join('\n') + '\n');
  },
};

/** Prints a bootstrap progress stream: JSON messages if the daemon streams them, else the text. */
async function printBootstrap(ctx: CommandContext, res: NodeJS.ReadableStream & AsyncIterable<unknown>, contentType: string): Promise<void> {
  if (!contentType.includes('json')) {
    for await (const c of res) ctx.stdout.write(c as Buffer);
    return;
  }
  for await (const msg of jsonMessages(res as never)) {
    if (msg.errorDetail?.message || msg.error) throw new StatusError(msg.errorDetail?.message || msg.error || '', 1);
    if (msg.stream !== undefined) ctx.stdout.write(msg.stream);
    else if (msg.status !== undefined) ctx.stdout.write(msg.id ? `${msg.id}: ${msg.status}\n` : `${msg.status}\n`);
    else {
      // A single answer object: {"Id": "sha256:…", "RepoTags": ["busybox:latest"]}.
      const obj = msg as { Id?: string; RepoTags?: string[] };
      if (obj.RepoTags?.length) for (const t of obj.RepoTags) ctx.stdout.write(`Loaded image: ${t}\n`);
      else if (obj.Id) ctx.stdout.write(`Loaded image ID: ${obj.Id}\n`);
      else ctx.stdout.write(JSON.stringify(msg) + '\n');
    }
  }
}

export const bootstrapCommand: Command = {
  name: 'bootstrap',
  usage: '[busybox|registry]',
  short: "Create busybox:latest from Debian's busybox-static, or registry:2 running Berth's registry (Berth only)",
  args: rangeArgs(0, 1),
  flags: [{ name: 'tag', short: 't', kind: 'string', help: 'Name and tag for the image (default busybox:latest or registry:2)' }],
  async run(ctx, flags) {
    const image = flags.args[0] ?? 'busybox';
    if (image !== 'busybox' && image !== 'registry') throw new StatusError(`unknown bootstrap image "${image}": choose busybox or registry`, 125);
    const query = { tag: flags.string('tag') || undefined, image: image === 'registry' ? 'registry' : undefined };
    const res = await ctx.client().request('POST', '/berth/bootstrap', { versioned: false, query });
    await printBootstrap(ctx, res, String(res.headers['content-type'] ?? ''));
  },
};
