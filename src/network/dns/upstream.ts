// Forwarding to upstream name servers from the daemon's (the host's) namespace, so a loopback
// server such as systemd-resolved's 127.0.0.53 works: each server in turn, over the transport the
// container used, until one answers; the answer's bytes go back unchanged.
import dgram from 'node:dgram';
import net from 'node:net';
import { promises as fs } from 'node:fs';
import { TcpFrameReader, frameTcp } from './message.js';

/** Per server; a resolver's own retry (glibc 5 s, musl 2.5 s) covers a lost datagram. */
const TIMEOUT_MS = 2000;

/** The `nameserver` addresses of a resolv.conf (the host's, read at every forward: it may change). */
export async function hostNameservers(path = '/etc/resolv.conf'): Promise<string[]> {
  const text = await fs.readFile(path, 'utf8').catch(() => '');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    // A scoped IPv6 address (fe80::1%eth0) is kept whole: node accepts the zone.
    if (m && net.isIP(m[1]!.split('%')[0]!)) out.push(m[1]!);
  }
  return out;
}

export async function forward(query: Buffer, servers: string[], transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
  for (const s of servers) {
    const reply = await (transport === 'udp' ? askUdp(query, s) : askTcp(query, s)).catch(() => undefined);
    if (reply) return reply;
  }
  return undefined;
}

function askUdp(query: Buffer, server: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(server.split('%')[0]!) ? 'udp6' : 'udp4');
    const done = (v: Buffer | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), TIMEOUT_MS);
    sock.on('error', () => done(undefined));
    // Only a reply to this query (same id, from that server) counts.
    sock.on('message', (msg, rinfo) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0) && rinfo.port === 53) done(msg);
    });
    sock.send(query, 53, server, (err) => err && done(undefined));
  });
}

function askTcp(query: Buffer, server: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const reader = new TcpFrameReader();
    const sock = net.connect({ host: server, port: 53 });
    const done = (v: Buffer | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(TIMEOUT_MS, () => done(undefined));
    sock.on('error', () => done(undefined));
    sock.on('end', () => done(undefined));
    sock.on('data', (chunk: Buffer) => {
      const [first] = reader.push(chunk);
      if (first) done(first);
    });
    sock.on('connect', () => sock.write(frameTcp(query)));
  });
}
