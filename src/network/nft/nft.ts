// The one wrapper around the `nft` program: replaces the daemon's table atomically, keeps Berth's
// accept rules in forward chains other software owns (a policy drop there is final), and deletes
// all of it on request; also loads scripts inside a container's namespace (with the sysctls they
// need). Owns nft's command lines and its error messages.
import { SystemError, errorMessage } from '../../lib/errors.js';
import { runChecked } from '../../lib/process-spawn.js';
import { foreignAcceptRules } from './ruleset.js';
import { isIptablesForward, syncIptablesForward } from './iptables.js';

const NFT = '/usr/sbin/nft';
const NSENTER = '/usr/bin/nsenter';

function run(args: string[], input?: string): Promise<string> {
  return runChecked(NFT, args, input ?? '', `nft ${args.join(' ')}`);
}

const SYSCTL_KEY = /^net\/[A-Za-z0-9_./-]+$/;

/**
 * Loads a script inside a network namespace (a path), after writing `sysctls` there (keys as
 * paths under /proc/sys, e.g. `net/ipv4/conf/all/route_localnet`). One process chain for both:
 * /proc/sys/net shows the namespace of whoever opens it, so the write has to happen inside too.
 */
export async function applyScriptInNetns(netns: string, script: string, sysctls: Record<string, string> = {}): Promise<void> {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(sysctls)) {
    if (!SYSCTL_KEY.test(k) || k.includes('..') || !/^[0-9 ]+$/.test(v)) throw new SystemError(`refusing to write sysctl ${k}=${v} in ${netns}`);
    pairs.push(k, v);
  }
  // Keys and values are the shell's positional parameters, never part of its program text.
  const sh = `while [ $# -gt 0 ]; do echo "$2" > "/proc/sys/$1" || exit 1; shift 2; done; exec ${NFT} -f -`;
  await runChecked(NSENTER, [`--net=${netns}`, '/bin/sh', '-c', sh, 'sh', ...pairs], script, `nft -f - in ${netns}`);
}

/** Loads a script (one transaction: all of it applies or none). */
export async function applyScript(script: string): Promise<void> {
  await run(['-f', '-'], script);
}

interface JsonChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  type?: string;
  policy?: string;
}

interface JsonRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  comment?: string;
}

const NFT_NAME = /^[A-Za-z_.][A-Za-z0-9_./-]*$/;

function marker(table: string): string {
  return `berth:${table}`;
}

/** Forward base chains of tables that are not Berth's (an iptables-nft `ip filter FORWARD`, a host firewall). */
async function foreignForwardChains(): Promise<JsonChain[]> {
  const json = JSON.parse(await run(['-j', 'list', 'chains'])) as { nftables: { chain?: JsonChain }[] };
  return json.nftables
    .map((x) => x.chain)
    .filter((c): c is JsonChain => !!c && c.hook === 'forward' && (c.family === 'ip' || c.family === 'inet') && !/^berth(_[0-9a-f]+)?$/.test(c.table));
}

async function ourRules(c: JsonChain, table: string): Promise<JsonRule[]> {
  const json = JSON.parse(await run(['-j', '-a', 'list', 'chain', c.family, c.table, c.name])) as { nftables: { rule?: JsonRule }[] };
  return json.nftables.map((x) => x.rule).filter((r): r is JsonRule => !!r && r.comment === marker(table));
}

/**
 * Puts accept rules for these bridges at the top of every foreign forward chain, replacing the
 * ones this daemon put there before. With no bridges, only removes them.
 */
export async function syncForeignForward(table: string, bridges: string[]): Promise<void> {
  const chains = await foreignForwardChains();
  const lines: string[] = [];
  for (const c of chains) {
    if (isIptablesForward(c)) {
      await syncIptablesForward(marker(table), bridges).catch((err) => {
        throw new SystemError(`cannot add accept rules for Berth's bridges to iptables' filter FORWARD chain (policy ${c.policy ?? 'unknown'}), without which their forwarded traffic would be dropped: ${errorMessage(err)}`);
      });
      continue;
    }
    // nft 1.0.6 takes table and chain names only bare (a quoted one is a syntax error).
    if (!NFT_NAME.test(c.table) || !NFT_NAME.test(c.name)) throw new SystemError(`cannot add accept rules for Berth's bridges to the forward chain ${c.family} ${c.table} ${c.name}: its name cannot be written in nft syntax`);
    const chain = `${c.family} ${c.table} ${c.name}`;
    for (const r of await ourRules(c, table)) lines.push(`delete rule ${chain} handle ${r.handle}`);
    // `insert` puts each rule first, so insert them in reverse to keep their order.
    for (const rule of foreignAcceptRules(bridges).reverse()) {
      lines.push(`insert rule ${chain} ${rule} comment ${JSON.stringify(marker(table))}`);
    }
  }
  if (lines.length) await applyScript(lines.join('\n') + '\n');
}

export async function tableExists(table: string): Promise<boolean> {
  return run(['list', 'table', 'ip', table]).then(() => true, () => false);
}

/** Removes the daemon's table and its rules in foreign chains. */
export async function removeAll(table: string): Promise<void> {
  await syncForeignForward(table, []).catch(() => undefined);
  if (await tableExists(table)) await run(['delete', 'table', 'ip', table]);
}
