// The one wrapper around `iptables-restore`: Berth's accept rules in the iptables-nft `filter
// FORWARD` chain (dockerd leaves it with policy drop). That table is written in iptables' own
// encoding (xt matches); rules nft writes there natively make iptables refuse the whole chain.
import { runChecked } from '../../lib/process-spawn.js';

const RESTORE = '/usr/sbin/iptables-restore';
const IPTABLES = '/usr/sbin/iptables';

function run(cmd: string, args: string[], input: string): Promise<string> {
  return runChecked(cmd, args, input, cmd);
}

/** The chain iptables-nft owns: Berth writes there only through iptables. */
export function isIptablesForward(c: { family: string; table: string; name: string }): boolean {
  return c.family === 'ip' && c.table === 'filter' && c.name === 'FORWARD';
}

/** iptables' form of the accept rules for a bridge (what ruleset.ts's foreignAcceptRules say in nft). */
function acceptRules(bridge: string, comment: string): string[] {
  const tail = `-m comment --comment ${comment} -j ACCEPT`;
  return [`-o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED ${tail}`, `-o ${bridge} -m conntrack --ctstate DNAT ${tail}`, `-i ${bridge} ${tail}`];
}

/**
 * Replaces this daemon's rules at the top of `filter FORWARD` with accept rules for `bridges`, in
 * one iptables-restore transaction (`--noflush` keeps everyone else's rules).
 */
export async function syncIptablesForward(marker: string, bridges: string[]): Promise<void> {
  const current = await run(IPTABLES, ['-w', '-t', 'filter', '-S', 'FORWARD'], '');
  const lines = ['*filter'];
  for (const l of current.split('\n')) {
    // Our own rules carry no spaces or quotes but the comment's, so the -S line is its own -D spec.
    if (!l.startsWith('-A FORWARD ') || !l.replace(/"/g, '').includes(`--comment ${marker} `)) continue;
    lines.push(`-D ${l.slice(3).replace(/"/g, '')}`);
  }
  const rules = bridges.flatMap((b) => acceptRules(b, marker));
  for (const r of rules.reverse()) lines.push(`-I FORWARD 1 ${r}`);
  if (lines.length === 1) return;
  lines.push('COMMIT', '');
  await run(RESTORE, ['-w', '--noflush'], lines.join('\n'));
}
