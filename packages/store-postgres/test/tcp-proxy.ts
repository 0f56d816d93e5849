import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the PostgreSQL server, to make the database fail for real: refuse
 * connections (the port is closed, as when the server is stopped), swallow traffic (a hung or
 * unreachable server), or cut a connection the moment a chosen statement goes through it.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #port = 0;
  #blackhole = false;
  #stalled = false;
  #cutWhen: ((chunk: Buffer) => boolean) | null = null;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** The port clients connect to (stable across {@link cut} and {@link restore}). */
  get port(): number {
    return this.#port;
  }

  /** Starts listening (on a free port the first time, on the same port after a cut). */
  async start(): Promise<number> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    this.#port = address.port;
    this.#server = server;
    return this.#port;
  }

  #accept(client: Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.#blackhole) return; // accept, never answer
    const upstream = connect(this.#target.port, this.#target.host);
    this.#sockets.add(upstream);
    upstream.on('close', () => {
      this.#sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk: Buffer) => {
      if (this.#stalled) return; // swallowed: the server never sees it, the client never hears back
      if (this.#cutWhen?.(chunk)) {
        this.#cutWhen = null;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  }

  /** Stops the server and drops every connection: new connections are refused (ECONNREFUSED). */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Listens again on the same port and forwards traffic normally. Connections that were swallowed
   * by {@link blackhole} or {@link stall} are dropped, so whoever waits on them fails at once.
   */
  async restore(): Promise<void> {
    if (this.#blackhole || this.#stalled) {
      for (const socket of this.#sockets) socket.destroy();
      this.#sockets.clear();
    }
    this.#blackhole = false;
    this.#stalled = false;
    this.#cutWhen = null;
    if (!this.#server) await this.start();
  }

  /** Drops every connection, then accepts new ones without ever answering (a hung server). */
  blackhole(): void {
    this.#blackhole = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Keeps open connections open but stops forwarding anything (a server that stopped answering). */
  stall(): void {
    this.#stalled = true;
  }

  /** Cuts the connection that sends a chunk matching `predicate`, before the chunk reaches the server. */
  cutWhen(predicate: (chunk: Buffer) => boolean): void {
    this.#cutWhen = predicate;
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
