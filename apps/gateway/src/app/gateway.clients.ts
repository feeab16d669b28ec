import { MAX_GRPC_MESSAGE_BYTES, feedServiceDefinition, likesServiceDefinition, uploadServiceDefinition } from '@failsoft/contracts';
import type { SidecarClientOptions } from '@failsoft/sidecar';
import type { GatewayConfig } from './gateway.config';

/** The downstreams the gateway calls; each is injected with `@InjectSidecarClient(name)`. */
export const GATEWAY_DOWNSTREAMS = ['upload', 'likes', 'feed'] as const;

/**
 * Sidecar client options of the gateway's downstreams. Every internal call goes through them.
 *
 * - **upload**: GetPost, GetImage and StreamImage are idempotent (a stream is retried only before
 *   its first message). CreatePost is not: each call carries an
 *   idempotency key (the client's `Idempotency-Key`, or one made per request), which is what lets
 *   the sidecar retry it on another instance. Messages carry whole images, so the gRPC message
 *   limits are raised to MAX_GRPC_MESSAGE_BYTES both ways. Generous deadlines (8 s per create,
 *   4 s per attempt) since creating stores images durably; reads pass shorter ones per call.
 * - **likes**: Like and Unlike are idempotent per (user, post), Counts is read-only, so all three
 *   retry freely. 3 s per call (below the front door's 4 s for likes), 1 s per attempt: a hung
 *   instance is left for another after 1 s, and a slow one (e.g. a 500 ms injected delay) still
 *   answers in time. The likes service refuses to apply a write whose attempt deadline has passed
 *   (checked inside Redis), so an attempt given up here can never land after a later write.
 * - **feed**: GetFeed and GetTrending are read-only. 800 ms per call and 350 ms per attempt, so a
 *   hung instance costs at most one short attempt before the retry, and a dead feed reaches the
 *   last-good copy quickly.
 *
 * Service breakers use the sidecar defaults except the open time (BREAKER_RESET_MS), which also
 * bounds the `Retry-After` of an open breaker.
 */
export function gatewayClients(config: Pick<GatewayConfig, 'BREAKER_RESET_MS'>): SidecarClientOptions[] {
  const serviceBreaker = { resetTimeoutMs: config.BREAKER_RESET_MS };
  return [
    {
      service: 'upload',
      definition: uploadServiceDefinition(),
      idempotentMethods: ['GetPost', 'GetImage', 'StreamImage'],
      timeoutMs: 8000,
      attemptTimeoutMs: 4000,
      serviceBreaker,
      channelOptions: { 'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES },
    },
    { service: 'likes', definition: likesServiceDefinition(), idempotentMethods: ['Like', 'Unlike', 'Counts'], timeoutMs: 3000, attemptTimeoutMs: 1000, serviceBreaker },
    { service: 'feed', definition: feedServiceDefinition(), idempotentMethods: ['GetFeed', 'GetTrending'], timeoutMs: 800, attemptTimeoutMs: 350, serviceBreaker },
  ];
}
