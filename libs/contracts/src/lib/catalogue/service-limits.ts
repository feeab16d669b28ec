import { MAX_GRPC_MESSAGE_BYTES } from '../limits';
import type { GrpcServiceName } from './service-catalogue';

/** gRPC message size limits of one service's server, in bytes. */
export interface MessageLimits {
  /** Largest request it reads (`grpc.max_receive_message_length`); beyond, RESOURCE_EXHAUSTED. */
  readonly receiveBytes: number;
  /** Largest response it sends (`grpc.max_send_message_length`). */
  readonly sendBytes: number;
}

/**
 * Message limits per gRPC service: only upload carries images (CreatePost in, GetImage out, up
 * to MAX_GRPC_MESSAGE_BYTES); likes reads at most a Counts batch of 500 post ids, feed a page
 * request. A larger message is refused by grpc-js from its length prefix, before it is buffered.
 */
export const SERVICE_MESSAGE_LIMITS: Readonly<Record<GrpcServiceName, MessageLimits>> = Object.freeze({
  upload: Object.freeze({ receiveBytes: MAX_GRPC_MESSAGE_BYTES, sendBytes: MAX_GRPC_MESSAGE_BYTES }),
  likes: Object.freeze({ receiveBytes: 128 * 1024, sendBytes: 1024 * 1024 }),
  feed: Object.freeze({ receiveBytes: 16 * 1024, sendBytes: 4 * 1024 * 1024 }),
});

/** The grpc-js server options that apply `service`'s message limits. @throws RangeError for a service that serves no gRPC. */
export function serverMessageOptions(service: string): { 'grpc.max_receive_message_length': number; 'grpc.max_send_message_length': number } {
  const limits = (SERVICE_MESSAGE_LIMITS as Readonly<Record<string, MessageLimits>>)[service];
  if (limits === undefined) throw new RangeError(`no message limits for ${JSON.stringify(service)}; the gRPC services are ${Object.keys(SERVICE_MESSAGE_LIMITS).join(', ')}`);
  return { 'grpc.max_receive_message_length': limits.receiveBytes, 'grpc.max_send_message_length': limits.sendBytes };
}
