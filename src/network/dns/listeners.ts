// The embedded DNS's sockets: per user-defined network one UDP socket and one TCP server on the
// bridge's gateway address, port 53, in the daemon's namespace. Containers reach them through the
// DNAT of 127.0.0.11:53 in their own namespace (redirect.ts); the network a query arrived on and
// its source address say who is asking.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../lib/log.js';
import { errorMessage } from '../../lib/errors.js';
import { TcpFrameReader, frameTcp } from './message.js';
import type { Resolver } from './resolver.js';

export const DNS_PORT = 53;
/** A TCP client that sends nothing for this long is dropped (RFC 7766 suggests seconds). */
const TCP_IDLE_MS = 10_000;

interface Listener {
  address: string;
  udp: dgram.Socket;
  tcp: net.Server;
  conns: Set<net.Socket>;
}

export class DnsListeners {
  private readonly open = new Map<string, Listener>();

  constructor(
    private readonly resolver: Resolver,
    private readonly log: Logger,
  ) {}

  /** Starts listening for a network on its gateway address (again, if the address changed). */
  async listen(networkId: string, address: string): Promise<void> {
    const cur = this.open.get(networkId);
    if (cur?.address === address) return;
    if (cur) await this.close(networkId);
    const udp = dgram.createSocket({ type: 'udp4' });
    const conns = new Set<net.Socket>();
    const tcp = net.createServer((s) => this.serveTcp(s, networkId, conns));
    udp.on('message', (msg, rinfo) => {
      void this.resolver.handle(msg, networkId, rinfo.address, 'udp').then(
        (out) => out && udp.send(out, rinfo.port, rinfo.address),
        (err) => this.log.warn(`dns: ${errorMessage(err)}`),
      );
    });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(DNS_PORT, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: DNS_PORT, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      tcp.close();
      throw err;
    }
    udp.on('error', (err) => this.log.warn(`dns ${address}: ${errorMessage(err)}`));
    tcp.on('error', (err) => this.log.warn(`dns ${address}: ${errorMessage(err)}`));
    this.open.set(networkId, { address, udp, tcp, conns });
  }

  private serveTcp(s: net.Socket, networkId: string, conns: Set<net.Socket>): void {
    conns.add(s);
    const reader = new TcpFrameReader();
    s.setTimeout(TCP_IDLE_MS, () => s.destroy());
    s.on('error', () => undefined);
    s.on('close', () => conns.delete(s));
    s.on('data', (chunk: Buffer) => {
      for (const q of reader.push(chunk)) {
        void this.resolver.handle(q, networkId, s.remoteAddress?.replace(/^::ffff:/, '') ?? '', 'tcp').then(
          (out) => out && !s.destroyed && s.write(frameTcp(out)),
          (err) => this.log.warn(`dns: ${errorMessage(err)}`),
        );
      }
    });
  }

  async close(networkId: string): Promise<void> {
    const l = this.open.get(networkId);
    if (!l) return;
    this.open.delete(networkId);
    for (const s of l.conns) s.destroy();
    await Promise.all([new Promise<void>((r) => l.udp.close(() => r())), new Promise<void>((r) => l.tcp.close(() => r()))]);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((id) => this.close(id)));
  }

  /** Networks listened for (for tests and inspection). */
  addresses(): string[] {
    return [...this.open.values()].map((l) => l.address);
  }
}
