import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, show } from '../core/validate';

/** What {@link HttpDrain.close} reports. */
export interface HttpDrainResult {
  /** True when every in-flight request finished within the bound (no connection was cut). */
  readonly graceful: boolean;
  /** Requests still running when the server stopped accepting connections. */
  readonly inFlightAtClose: number;
  /** Requests cut because the bound was reached. */
  readonly cut: number;
  /** How long closing took, ms. */
  readonly ms: number;
}

/**
 * Graceful stop of a Node HTTP server (the one under a Nest app, Express or Fastify): counts the
 * requests in flight, and once draining answers every response with `Connection: close` (so
 * keep-alive clients such as a proxy reconnect, to another instance once this one is out of
 * rotation). `close(timeoutMs)` stops accepting connections, closes idle ones, waits for the
 * requests in flight and cuts what is left at the bound.
 */
export class HttpDrain {
  private readonly active = new Set<ServerResponse>();
  private draining = false;
  private closing: Promise<HttpDrainResult> | undefined;

  /** @throws InvalidOptionsError when `server` is not a Node HTTP server. */
  constructor(private readonly server: Server) {
    if (typeof server !== 'object' || server === null || typeof (server as Partial<Server>).closeIdleConnections !== 'function') {
      throw new InvalidOptionsError(`HttpDrain needs a Node http.Server (Node >= 18.2); got ${show(server)}`);
    }
    // first listener: counts the request and marks it before the framework's handler answers it
    server.prependListener('request', this.onRequest);
  }

  /** Requests being served right now. */
  get inFlight(): number {
    return this.active.size;
  }

  /** True once `beginDrain()` (or `close()`) was called. */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * From now on every response closes its connection after it is sent (`Connection: close`),
   * including those in flight that have not sent their headers yet. New requests are still served.
   */
  beginDrain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const res of this.active) if (!res.headersSent) res.shouldKeepAlive = false;
  }

  /**
   * Stops accepting connections, closes idle keep-alive connections, waits until the requests in
   * flight are answered (at most `timeoutMs`), then closes every connection left. Idempotent.
   * @throws InvalidOptionsError when `timeoutMs` is not a number >= 0.
   */
  close(timeoutMs: number): Promise<HttpDrainResult> {
    assertNumber('http drain timeoutMs', timeoutMs, 0);
    this.closing ??= this.runClose(timeoutMs);
    return this.closing;
  }

  private async runClose(timeoutMs: number): Promise<HttpDrainResult> {
    const startedAt = Date.now();
    this.beginDrain();
    const inFlightAtClose = this.active.size;
    const closed = new Promise<void>((resolve) => {
      // the callback runs once every connection has ended (or at once, with an error, when not listening)
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
    });
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs); // holds the process: the drain must finish
      }),
    ]);
    clearTimeout(timer);
    const cut = graceful ? 0 : this.active.size;
    if (!graceful) {
      this.server.closeAllConnections();
      await closed;
    }
    return { graceful, inFlightAtClose, cut, ms: Date.now() - startedAt };
  }

  private readonly onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    this.active.add(res);
    if (this.draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      this.active.delete(res);
      // a keep-alive connection whose last response just ended is idle now: close it while closing
      if (this.closing !== undefined) setImmediate(() => this.server.closeIdleConnections());
    });
  };
}
