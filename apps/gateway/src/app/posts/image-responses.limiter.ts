import { Inject, Injectable, Optional } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_CONFIG } from '../gateway.constants';

/** Originals one gateway sends at once (each streamed: about one 64 KiB chunk in memory, plus socket buffers). */
export const MAX_ORIGINAL_RESPONSES = 16;
/** Originals one client address may be sent at once by one gateway. */
export const MAX_ORIGINAL_RESPONSES_PER_CLIENT = 4;
/** Default of IMAGE_SEND_TIMEOUT_MS: a response that makes no progress for this long (a client that stopped reading) is cut, ms. */
export const IMAGE_SEND_TIMEOUT_MS = 30_000;

/**
 * Bounds what slow or idle readers of originals can hold: an original is streamed from upload as
 * its client reads it (a stalled reader holds a connection, an upstream stream and a chunk, not the
 * image), and its slot is kept until the response ends, so at most MAX_ORIGINAL_RESPONSES are in flight per gateway
 * (503 `IMAGES_BUSY` + `Retry-After` beyond) and MAX_ORIGINAL_RESPONSES_PER_CLIENT per client
 * address (429 `RATE_LIMITED` beyond). Thumbnails (a few KB) are not counted.
 */
@Injectable()
export class ImageResponsesLimiter {
  private total = 0;
  private readonly perClient = new Map<string, number>();
  /** A response that makes no progress for this long is cut (IMAGE_SEND_TIMEOUT_MS), ms. */
  readonly sendTimeoutMs: number;

  /** @param config IMAGE_SEND_TIMEOUT_MS (default IMAGE_SEND_TIMEOUT_MS when absent). */
  constructor(@Optional() @Inject(GATEWAY_CONFIG) config?: Pick<GatewayConfig, 'IMAGE_SEND_TIMEOUT_MS'>) {
    this.sendTimeoutMs = config?.IMAGE_SEND_TIMEOUT_MS ?? IMAGE_SEND_TIMEOUT_MS;
  }

  /** Originals in flight now. */
  get inFlight(): number {
    return this.total;
  }

  /**
   * Takes a slot for `client`; call the returned function once the response is over (finished or cut).
   * @throws ApiError 503 `IMAGES_BUSY`, 429 `RATE_LIMITED`.
   */
  acquire(client: string): () => void {
    if (this.total >= MAX_ORIGINAL_RESPONSES) {
      throw new ApiError(503, 'IMAGES_BUSY', `this gateway is sending ${MAX_ORIGINAL_RESPONSES} original images already; retry in a moment`, { headers: { 'Retry-After': '1' }, details: { retryAfterSeconds: 1 } });
    }
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= MAX_ORIGINAL_RESPONSES_PER_CLIENT) {
      throw new ApiError(429, 'RATE_LIMITED', `at most ${MAX_ORIGINAL_RESPONSES_PER_CLIENT} original images are sent to one address at once; read those first`, { headers: { 'Retry-After': '1' }, details: { retryAfterSeconds: 1 } });
    }
    this.total++;
    this.perClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }
}
