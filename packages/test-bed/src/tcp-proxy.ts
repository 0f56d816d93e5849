/**
 * A TCP proxy on 127.0.0.1 in front of a test bed server, for fault tests: `close()` refuses new
 * connections and drops the open ones (the server looks down to everything behind the proxy),
 * `open()` forwards again on the same port, `cutWhen(predicate)` drops the connection that sends
 * a matching chunk before it reaches the server. The shared server itself is never touched.
 *
 * @example
 * ```ts
 * const proxy = new TcpProxy('127.0.0.1', 5432);
 * await proxy.open(); // connect the store to 127.0.0.1:proxy.port
 * await proxy.close(); // outage
 * await proxy.open(); // back
 * ```
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #cutWhen: ((chunk: Buffer) => boolean) | null = null;
  /** The port it listens on (chosen by the first `open()`, kept by the next ones). */
  port = 0;

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** Starts forwarding (again). */
  async open(): Promise<void> {
    if (this.#server !== null) return;
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
      }
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('data', (chunk: Buffer) => {
        if (this.#cutWhen?.(chunk)) {
          this.#cutWhen = null;
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /**
   * Drops the connection that sends a chunk matching `predicate`, before the chunk reaches the
   * server (once; `null` stops watching). E.g. a command in flight when the network fails.
   */
  cutWhen(predicate: ((chunk: Buffer) => boolean) | null): void {
    this.#cutWhen = predicate;
  }

  /** Refuses new connections and drops the open ones. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
