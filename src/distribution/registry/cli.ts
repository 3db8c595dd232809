// `berth registry …`: `serve` runs the registry until SIGTERM/SIGINT, `garbage-collect` sweeps
// its storage offline. Flags override the config file, which the REGISTRY_* environment overrides.
import { loadRegistryConfig, type RegistryConfig } from './config.js';
import { startRegistry } from './server.js';
import { garbageCollect } from './gc.js';

const USAGE = `Usage:
  berth registry serve [--addr ADDR] [--root DIR] [--config FILE] [CONFIG]
  berth registry garbage-collect [--dry-run] [--delete-untagged] [--root DIR] [CONFIG]`;

export async function registryCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'serve') return await serve(rest);
    if (sub === 'garbage-collect') return await gc(rest);
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    process.stderr.write(`${sub ? `unknown command "${sub}"` : 'missing command'}\n${USAGE}\n`);
    return 1;
  } catch (err) {
    process.stderr.write(`registry: ${(err as Error).message}\n`);
    return 1;
  }
}

interface Parsed {
  flags: Map<string, string | true>;
  positional: string[];
}

function parseArgs(args: string[], valued: string[], aliases: Record<string, string>): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (!a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const name = aliases[a] ?? a.replace(/^--?/, '');
    if (valued.includes(name)) {
      value ??= args[++i];
      if (value === undefined) throw new Error(`flag needs an argument: --${name}`);
      flags.set(name, value);
    } else if (value === undefined) {
      if (!Object.values(aliases).includes(name) && !['help'].includes(name)) throw new Error(`unknown flag: ${a}`);
      flags.set(name, true);
    } else throw new Error(`flag takes no argument: ${a}`);
  }
  return { flags, positional };
}

async function config(p: Parsed): Promise<RegistryConfig> {
  const file = (p.flags.get('config') as string | undefined) ?? p.positional[0];
  const cfg = await loadRegistryConfig(file);
  const addr = p.flags.get('addr');
  const root = p.flags.get('root');
  if (typeof addr === 'string') cfg.addr = addr;
  if (typeof root === 'string') cfg.root = root;
  return cfg;
}

async function serve(args: string[]): Promise<number> {
  const p = parseArgs(args, ['addr', 'root', 'config'], { '-c': 'config' });
  const cfg = await config(p);
  const log = (line: string): void => {
    process.stderr.write(`time="${new Date().toISOString()}" level=info msg="${line.replace(/"/g, '\\"')}"\n`);
  };
  const reg = await startRegistry({ ...cfg, log });
  log(`listening on ${cfg.addr}${cfg.tls ? ', tls' : ''} (${reg.url}), storage ${cfg.root}`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      log(`received ${sig}, shutting down`);
      resolve();
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  await reg.close();
  return 0;
}

async function gc(args: string[]): Promise<number> {
  const p = parseArgs(args, ['root', 'config'], {
    '-d': 'dry-run',
    '--dry-run': 'dry-run',
    '-m': 'delete-untagged',
    '--delete-untagged': 'delete-untagged',
  });
  const cfg = await config(p);
  const result = await garbageCollect(cfg.root, {
    dryRun: p.flags.has('dry-run'),
    deleteUntagged: p.flags.has('delete-untagged'),
    log: (line) => process.stdout.write(line + '\n'),
  });
  if (!p.flags.has('dry-run')) {
    process.stdout.write(`deleted ${result.blobs.length} blobs and ${result.manifests.length} manifests\n`);
  }
  return 0;
}
