// Answers one DNS query from a container: names of the asker's networks from the name table
// (NXDOMAIN for unknown local names), PTR for their addresses, everything else forwarded to the
// container's --dns servers or the host's. Transport-agnostic: listeners hand it bytes.
import { CLASS_IN, DnsFormatError, RCODE, TYPE, UDP_MAX, decode, encode, encodeForUdp, peekHeader, type Message, type Question, type ResourceRecord } from './message.js';
import { NameTable, reverseNameToIp } from './names.js';
import { forward, hostNameservers } from './upstream.js';

/** Docker's embedded DNS gives container records a TTL of 600 s. */
const TTL = 600;

export interface ResolverSource {
  /** A snapshot of the names as they are now. */
  table(): NameTable;
  /** The container's --dns servers; none means the host's. */
  dnsServers(containerId: string): string[];
}

export class Resolver {
  constructor(
    private readonly src: ResolverSource,
    private readonly hostResolvConf = '/etc/resolv.conf',
  ) {}

  /** The reply to send back, or undefined to stay silent (not a query, or unreadable). */
  async handle(query: Buffer, networkId: string, from: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let m: Message;
    try {
      m = decode(query);
    } catch (err) {
      const h = peekHeader(query);
      if (!h || h.flags.qr || !(err instanceof DnsFormatError)) return undefined;
      return encode(reply({ id: h.id, flags: h.flags, questions: [] }, RCODE.FORMERR));
    }
    if (m.flags.qr) return undefined;
    const table = this.src.table();
    const asker = table.endpointAt(networkId, from);
    if (!asker) return encode(reply(m, RCODE.REFUSED));
    if (m.flags.opcode !== 0) return encode(reply(m, RCODE.NOTIMP));
    if (m.questions.length !== 1) return encode(reply(m, RCODE.FORMERR));

    const local = this.answerLocally(table, asker.containerId, m.questions[0]!);
    if (local) {
      const r = reply(m, local.rcode, local.answers);
      return transport === 'udp' ? encodeForUdp(r, udpLimit(m)) : encode(r);
    }
    const own = this.src.dnsServers(asker.containerId);
    const servers = own.length ? own : await hostNameservers(this.hostResolvConf);
    const upstream = await forward(query, servers, transport);
    return upstream ?? encode(reply(m, RCODE.SERVFAIL));
  }

  private answerLocally(table: NameTable, asker: string, q: Question): { rcode: number; answers: ResourceRecord[] } | undefined {
    if (q.class !== CLASS_IN) return undefined;
    if (q.type === TYPE.PTR) {
      const ip = reverseNameToIp(q.name);
      const name = ip && table.reverse(asker, ip);
      return name ? { rcode: RCODE.NOERROR, answers: [{ name: q.name, type: TYPE.PTR, class: CLASS_IN, ttl: TTL, data: name }] } : undefined;
    }
    const ips = table.resolve(asker, q.name);
    if (!ips) return table.isLocal(asker, q.name) ? { rcode: RCODE.NXDOMAIN, answers: [] } : undefined;
    if (q.type === TYPE.AAAA) {
      // A known name without IPv6 addresses (an IPv4-only network) is NOERROR without records, so
      // resolvers do not fall back to searching other domains for it.
      const ips6 = table.resolve(asker, q.name, true) ?? [];
      return { rcode: RCODE.NOERROR, answers: ips6.map((ip) => ({ name: q.name, type: TYPE.AAAA, class: CLASS_IN, ttl: TTL, data: ip })) };
    }
    if (q.type !== TYPE.A && q.type !== TYPE.ANY) return { rcode: RCODE.NOERROR, answers: [] };
    return { rcode: RCODE.NOERROR, answers: ips.map((ip) => ({ name: q.name, type: TYPE.A, class: CLASS_IN, ttl: TTL, data: ip })) };
  }
}

function reply(q: Pick<Message, 'id' | 'flags' | 'questions'>, rcode: number, answers: ResourceRecord[] = []): Message {
  return {
    id: q.id,
    flags: { qr: true, opcode: q.flags.opcode, aa: rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN, tc: false, rd: q.flags.rd, ra: true, rcode },
    questions: q.questions,
    answers,
    authorities: [],
    additionals: [],
  };
}

/** A client that sent an EDNS OPT record takes UDP answers up to the size it named there. */
function udpLimit(m: Message): number {
  const opt = m.additionals.find((r) => r.type === TYPE.OPT);
  return opt ? Math.max(UDP_MAX, Math.min(opt.class, 4096)) : UDP_MAX;
}
