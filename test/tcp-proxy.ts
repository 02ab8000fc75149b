/**
 * A TCP proxy on 127.0.0.1 for fault tests: forwards to a target, and
 * can cut every connection it carries, refuse new ones, and accept again.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** amqp://guest:guest@127.0.0.1:<port>, for a broker behind the proxy. */
  url(scheme: string, auth?: string): string;
  /** Destroys every connection carried so far. */
  cut(): number;
  /** Stops accepting: new connections are refused (the port is closed). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  connections(): number;
  stop(): Promise<void>;
}

export async function startTcpProxy(
  targetHost: string,
  targetPort: number,
): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let carried = 0;
  const server = net.createServer((client) => {
    carried += 1;
    const upstream = net.connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const cut = () => {
    const count = open.size / 2;
    for (const socket of open) socket.destroy();
    open.clear();
    return count;
  };
  const down = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      cut();
    });

  return {
    port,
    url: (scheme, auth) =>
      `${scheme}://${auth ? `${auth}@` : ''}127.0.0.1:${port}`,
    cut,
    down,
    up: () => listen(port),
    connections: () => carried,
    stop: async () => {
      if (server.listening) await down();
      cut();
    },
  };
}
