import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { assertNumber, assertString } from '../core/validate';
import { AdminHandlers, createAdminRequestListener, type AdminHandlersOptions } from './admin-handlers';

/** Options of {@link AdminHttpServer}. */
export interface AdminHttpServerOptions extends AdminHandlersOptions {
  /** Port to listen on (0 = pick a free one). */
  port: number;
  /** Interface to bind (default 127.0.0.1; use 0.0.0.0 in containers so probes can reach it). */
  host?: string;
}

/**
 * The admin HTTP endpoints (`/livez`, `/readyz`, `/metrics`, `/snapshot`) on their own node:http
 * server. See {@link AdminHandlers} for the responses.
 */
export class AdminHttpServer {
  /** The route logic (shared with other HTTP stacks). */
  readonly handlers: AdminHandlers;
  private readonly host: string;
  private readonly requestedPort: number;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort: number | undefined;

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: AdminHttpServerOptions) {
    this.handlers = new AdminHandlers(options);
    this.requestedPort = assertNumber('admin.port', options.port, 0, 65535, true);
    this.host = assertString('admin.host', options.host ?? '127.0.0.1');
  }

  /** The bound port (after start). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Starts listening; resolves with the bound port. Idempotent while running. */
  async start(): Promise<{ port: number }> {
    if (this.server !== undefined && this.boundPort !== undefined) return { port: this.boundPort };
    const server = createServer(createAdminRequestListener(this.handlers));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as AddressInfo).port;
    return { port: this.boundPort };
  }

  /** Stops listening and closes open connections. Idempotent. */
  async shutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.boundPort = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
