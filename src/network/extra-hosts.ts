// `--add-host` entries as /etc/hosts lines: `NAME:IP` (as the API carries them), where the address
// `host-gateway` stands for the daemon's host-gateway-ip or the default bridge's gateway, resolved
// at each start as dockerd does. Pure.
import { InvalidParameter } from '../lib/errors.js';

export const HOST_GATEWAY = 'host-gateway';

export function extraHostLines(entries: readonly string[], hostGateway: string | undefined): string[] {
  return entries.map((h) => {
    // The name never holds ':' or '='; an IPv6 address does.
    const i = h.search(/[:=]/);
    if (i <= 0) throw new InvalidParameter(`invalid extra host ${JSON.stringify(h)}: expected NAME:IP`);
    let ip = h.slice(i + 1);
    if (ip === HOST_GATEWAY) {
      if (!hostGateway) throw new InvalidParameter('unable to derive the IP value for host-gateway');
      ip = hostGateway;
    }
    return `${ip}\t${h.slice(0, i)}`;
  });
}
