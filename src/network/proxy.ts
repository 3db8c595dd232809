// The userland proxy (daemon.json `userland-proxy: true`): berthd listens on a published port's
// loopback address and pipes each connection to the container, for hosts where 127.0.0.1 must not
// be DNATed. Proxies live in berthd, so they are started again for running containers at restore.
import net from 'node:net';

export class UserlandProxies {
  private readonly servers = new Map<string, net.Server[]>();

  start(containerId: string, hostIp: string, hostPort: number, targetIp: string, targetPort: number, onError: (err: Error) => void): void {
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: targetIp, port: targetPort });
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
    });
    server.on('error', onError);
    server.listen({ host: hostIp, port: hostPort });
    const list = this.servers.get(containerId) ?? [];
    list.push(server);
    this.servers.set(containerId, list);
  }

  stop(containerId: string): void {
    for (const s of this.servers.get(containerId) ?? []) s.close();
    this.servers.delete(containerId);
  }

  closeAll(): void {
    for (const id of [...this.servers.keys()]) this.stop(id);
  }
}
