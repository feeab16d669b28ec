/**
 * Limits that both sides of the contracts share (clients validate early, servers enforce them and
 * answer INVALID_ARGUMENT beyond them). They are documented in the `.proto` comments too.
 */
export const CONTRACT_LIMITS = Object.freeze({
  /** GetFeed page size when `limit` is 0. */
  feedPageDefault: 20,
  /** Largest GetFeed page size. */
  feedPageMax: 100,
  /** GetTrending size when `limit` is 0. */
  trendingDefault: 10,
  /** Largest GetTrending size. */
  trendingMax: 100,
  /** Most post ids in one Counts call. */
  countsBatchMax: 500,
  /** Longest CreatePost idempotency key (characters). */
  idempotencyKeyMaxLength: 200,
  /** Largest data chunk of one StreamImage message (bytes). */
  imageChunkMaxBytes: 64 * 1024,
});

/**
 * gRPC message size every client and server of these contracts must allow in both directions
 * (`grpc.max_receive_message_length` / `grpc.max_send_message_length`): CreatePost and GetImage
 * carry whole images (up to the upload service's 10 MiB cap), above gRPC's 4 MiB default.
 */
export const MAX_GRPC_MESSAGE_BYTES = 16 * 1024 * 1024;
