import { Injectable, type BeforeApplicationShutdown, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Sidecar, type Disposable } from '@failsoft/sidecar';
import { ApiError } from '../errors/api-error';
import { CONSOLE_HEARTBEAT_MS, CONSOLE_MAX_STREAMS, CONSOLE_MAX_STREAMS_PER_CLIENT, CONSOLE_TICK_MS } from './console.constants';
import { ConsoleSnapshotService } from './console-snapshot.service';

/** The parts of a raw (Node) response a stream writes. */
export interface StreamResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): boolean;
  end(): unknown;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  readonly writableEnded: boolean;
}

/** Who opens a stream: the signed-in user and the client's address (each has its own cap). */
export interface StreamClient {
  readonly user: string;
  readonly ip: string;
}

/** Options of {@link ConsoleStreamsService} (tests shorten the periods). */
export interface ConsoleStreamsSettings {
  readonly maxStreams: number;
  /** Streams one user, and one client address, may hold at once. */
  readonly maxStreamsPerClient: number;
  readonly tickMs: number;
  readonly heartbeatMs: number;
}

interface Stream {
  readonly response: StreamResponse;
  readonly client: StreamClient;
  /** Waiting for `drain`: ticks are skipped for this slow reader. */
  blocked: boolean;
}

/**
 * The console's live streams (`text/event-stream`): a `snapshot` event per tick to every open
 * stream (one shared timer, running only while a stream is open, unref'd), a comment heartbeat,
 * at most `maxStreams` at once (429 beyond), and every stream ended when the app shuts down (an
 * open stream must not hold a draining gateway).
 */
@Injectable()
export class ConsoleStreamsService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  /** Periods and bound (defaults from console.constants.ts). */
  readonly settings: ConsoleStreamsSettings = { maxStreams: CONSOLE_MAX_STREAMS, maxStreamsPerClient: CONSOLE_MAX_STREAMS_PER_CLIENT, tickMs: CONSOLE_TICK_MS, heartbeatMs: CONSOLE_HEARTBEAT_MS };
  private readonly streams = new Set<Stream>();
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private ticking = false;
  private closed = false;

  private drainWatch?: Disposable;

  /**
   * @param snapshots builds the events.
   * @param sidecar its readiness says when a graceful stop begins.
   */
  constructor(
    private readonly snapshots: ConsoleSnapshotService,
    private readonly sidecar: Sidecar,
  ) {}

  /**
   * Ends every stream as soon as the gateway starts draining (SIGTERM): the HTTP drain waits for
   * open requests, and an event stream never ends by itself (the browser reconnects elsewhere).
   */
  onModuleInit(): void {
    this.drainWatch = this.sidecar.readiness.onChange((report) => {
      if (report.draining) this.closeAll();
    });
  }

  /** Streams open right now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Starts a stream on `response` (headers, a first snapshot at once, then one per tick) and
   * ends it when the client leaves.
   * @throws ApiError 429 `TOO_MANY_STREAMS` when `maxStreams` are open, or `maxStreamsPerClient`
   *   for this user or this address; 503 when shutting down.
   */
  open(response: StreamResponse, client: StreamClient): void {
    if (this.closed) throw new ApiError(503, 'SHUTTING_DOWN', 'this gateway is shutting down; reconnect (the front door sends you to another one)', { headers: { 'Retry-After': '1' } });
    if (this.streams.size >= this.settings.maxStreams) {
      throw new ApiError(429, 'TOO_MANY_STREAMS', `this gateway serves at most ${this.settings.maxStreams} console streams at once; close another console tab or retry later`, {
        headers: { 'Retry-After': '5' },
      });
    }
    const mine = [...this.streams].filter((s) => s.client.user === client.user || s.client.ip === client.ip).length;
    if (mine >= this.settings.maxStreamsPerClient) {
      throw new ApiError(429, 'TOO_MANY_STREAMS', `one user or address may hold at most ${this.settings.maxStreamsPerClient} console streams at once; close another console tab or retry later`, {
        headers: { 'Retry-After': '5' },
      });
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    const stream: Stream = { response, client, blocked: false };
    this.streams.add(stream);
    response.once('close', () => this.remove(stream));
    response.write(`retry: 2000\n: console stream of ${this.settings.tickMs} ms ticks\n\n`);
    this.ensureTimers();
    void this.tick([stream]);
  }

  /** Ends every stream and stops the timers (the app is shutting down). */
  closeAll(): void {
    this.closed = true;
    for (const stream of [...this.streams]) {
      this.remove(stream);
      if (!stream.response.writableEnded) stream.response.end();
    }
  }

  /** Nest hook: close streams before the HTTP server waits for its connections. */
  beforeApplicationShutdown(): void {
    this.closeAll();
  }

  /** Nest hook. */
  onModuleDestroy(): void {
    this.drainWatch?.dispose();
    this.closeAll();
  }

  private remove(stream: Stream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0) this.stopTimers();
  }

  private ensureTimers(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.tick([...this.streams]), this.settings.tickMs);
    this.timer.unref();
    this.heartbeat = setInterval(() => this.write([...this.streams], `: heartbeat ${new Date().toISOString()}\n\n`), this.settings.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopTimers(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
  }

  private async tick(streams: Stream[]): Promise<void> {
    if (streams.length === 0) return;
    // a build still running (slow Redis or control channel): skip this periodic tick; a new stream's first event still goes out
    if (this.ticking && streams.length > 1) return;
    this.ticking = true;
    try {
      const snapshot = await this.snapshots.snapshot();
      this.write(streams, `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    } catch (error) {
      this.write(streams, `event: problem\ndata: ${JSON.stringify({ message: `the snapshot failed: ${(error as Error).message}` })}\n\n`);
    } finally {
      this.ticking = false;
    }
  }

  private write(streams: Stream[], chunk: string): void {
    for (const stream of streams) {
      if (!this.streams.has(stream) || stream.blocked || stream.response.writableEnded) continue;
      if (!stream.response.write(chunk)) {
        stream.blocked = true;
        stream.response.once('drain', () => (stream.blocked = false));
      }
    }
  }
}
