/**
 * A DB instance's endpoint: a loopback port bound at once (so DescribeDBInstances can report it) that
 * pipes each connection to the database behind it, which starts only when the first client arrives.
 */
import { connect, createServer, type NetConnectOpts, type Server, type Socket } from 'node:net';

export interface EndpointTarget {
  /** Starts the database if it has not started, and says where to connect. */
  upstream(): Promise<NetConnectOpts>;
  /** Answers a client the database could not be started for (e.g. with an error packet), or drops it. */
  refuse(socket: Socket, err: unknown): void;
}

export class LoopbackEndpoint {
  readonly port: number;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: EndpointTarget,
  ) {
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  static async listen(target: EndpointTarget): Promise<LoopbackEndpoint> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const endpoint = new LoopbackEndpoint(server, target);
    server.on('connection', (socket) => endpoint.accept(socket));
    return endpoint;
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    // Held until the database is up, so the client's first bytes wait rather than vanish.
    socket.pause();
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    this.target.upstream().then(
      (options) => {
        if (socket.destroyed) return;
        const upstream = connect(options);
        this.sockets.add(upstream);
        upstream.on('close', () => {
          this.sockets.delete(upstream);
          socket.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        socket.on('close', () => upstream.destroy());
        socket.pipe(upstream);
        upstream.pipe(socket);
      },
      (err: unknown) => {
        if (!socket.destroyed) this.target.refuse(socket, err);
      },
    );
  }
}
