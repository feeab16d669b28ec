import { concurrencyForMemory, env, memoryLimitEnvSchema, serviceEnvSchema, type EnvConfig } from '@failsoft/sidecar';
import { MAX_GRPC_MESSAGE_BYTES } from '@failsoft/contracts';

/**
 * Room left in a gRPC CreatePost message for everything that is not the image (caption, author,
 * idempotency key, framing). The largest accepted upload must fit below MAX_GRPC_MESSAGE_BYTES.
 */
const GRPC_ENVELOPE_BYTES = 1024 * 1024;

/** Environment of the gateway (public HTTP edge). Every variable has the same name in `npm start`, compose and Kubernetes. */
export const gatewayEnvSchema = {
  ...serviceEnvSchema,
  /** The container's memory limit (optional): the uploads buffered at once are derived from it (see `maxConcurrentUploads`). */
  ...memoryLimitEnvSchema,
  /** Secret signing user session tokens (at least 32 characters); the same on every gateway so they accept each other's tokens. */
  AUTH_SECRET: env.string({ minLength: 32 }),
  /** Lifetime of a session token in seconds (default 12 h). */
  AUTH_TOKEN_TTL_S: env.int(60, 7 * 24 * 3600, { default: 12 * 3600 }),
  /** Password of the demo users alice, bob and carol (default `failsoft`: this is a demo, not an identity provider). */
  DEMO_PASSWORD: env.string({ default: 'failsoft', minLength: 4 }),
  /**
   * Password of the `operator` user, the only one allowed the console's chaos actions (at least 16
   * characters). `failsoft up` generates one at first start; compose and Kubernetes read it from a
   * secret. Unset: nobody can sign in as the operator (there is no default).
   */
  OPERATOR_PASSWORD: env.string({ default: '', minLength: 16 }),
  /** Longest time a client may take to send the request headers, ms (then 408 and the connection closes). */
  HTTP_HEADERS_TIMEOUT_MS: env.int(1000, 120_000, { default: 10_000 }),
  /** Longest time a client may take to send a whole request, body included, ms (an upload on a slow link fits). */
  HTTP_REQUEST_TIMEOUT_MS: env.int(1000, 600_000, { default: 60_000 }),
  /** How long an idle kept-alive connection stays open, ms. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.int(100, 120_000, { default: 5000 }),
  /** Most connections open at once; more are refused when accepted. */
  HTTP_MAX_CONNECTIONS: env.int(16, 1_000_000, { default: 2048 }),
  /**
   * Port of the admin endpoints (`/readyz`, `/metrics`, `/snapshot`, and `/livez`), which the front
   * door and the Ingress do not expose: probes and Prometheus use it. 0 (default, the local
   * platform): they stay on HTTP_PORT, where the front door answers 404 for them.
   */
  ADMIN_PORT: env.int(0, 65535, { default: 0 }),
  /**
   * Host names the gateway serves besides 127.0.0.1, localhost, [::1] and its ADVERTISE_HOST
   * (comma-separated, e.g. `failsoft.example.com`); other `Host` headers get 421 `UNKNOWN_HOST`
   * (DNS rebinding). `*` accepts every host (behind an Ingress that routes by host itself).
   */
  PUBLIC_HOSTS: env.string({ default: '', pattern: /^(\*|[A-Za-z0-9.[\]:-]+(,[A-Za-z0-9.[\]:-]+)*)$/ }),
  /** Failed sign-ins per user per SIGN_IN_WINDOW_MS before every sign-in of that user answers 429. */
  SIGN_IN_MAX_FAILURES_PER_USER: env.int(1, 10_000, { default: 10 }),
  /** Failed sign-ins per client address per SIGN_IN_WINDOW_MS before every sign-in from it answers 429. */
  SIGN_IN_MAX_FAILURES_PER_IP: env.int(1, 10_000, { default: 20 }),
  /** Window of the sign-in throttling, ms (default 5 min). */
  SIGN_IN_WINDOW_MS: env.int(1000, 86_400_000, { default: 300_000 }),
  /** Console actions the operator may make per CONSOLE_ACTIONS_WINDOW_MS (shared by every gateway through Redis). */
  CONSOLE_ACTIONS_PER_WINDOW: env.int(1, 10_000, { default: 20 }),
  /** Window of the console action limit, ms. */
  CONSOLE_ACTIONS_WINDOW_MS: env.int(1000, 3_600_000, { default: 60_000 }),
  /** Writes (create post, like, unlike) one user may make per window, shared by every gateway through Redis. */
  RATE_LIMIT_WRITES: env.int(1, 100_000, { default: 30 }),
  /** Length of the rate-limit window in ms. */
  RATE_LIMIT_WINDOW_MS: env.int(1000, 3_600_000, { default: 10_000 }),
  /**
   * Largest image the upload service accepts, in bytes (default 10 MiB, the upload service's cap).
   * The gateway's multipart limit sits slightly above it (see `multipartFileLimit`), so the upload
   * service stays the judge of sizes near the cap and the gateway refuses anything clearly larger
   * without buffering it.
   */
  UPLOAD_MAX_BYTES: env.int(1024, MAX_GRPC_MESSAGE_BYTES - 2 * GRPC_ENVELOPE_BYTES, { default: 10 * 1024 * 1024 }),
  /** An image response that makes no progress for this long (a client that stopped reading) is cut and its slot freed, ms. */
  IMAGE_SEND_TIMEOUT_MS: env.int(100, 600_000, { default: 30_000 }),
  /** How long a downstream's service breaker stays open before a probe, in ms (also the upper bound of `Retry-After`). */
  BREAKER_RESET_MS: env.int(250, 120_000, { default: 5000 }),
  /**
   * Base URL of the control channel of `failsoft up` (e.g. `http://127.0.0.1:7070`), which the
   * console's buttons (kill, revive, failover, faults) go through. Local platform only, optional:
   * unset (docker compose, Kubernetes) the console shows the topology with its buttons disabled.
   */
  FAILSOFT_CONTROL_URL: env.string({ default: '', pattern: /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/ }),
  /** Bearer token of the control channel (set together with FAILSOFT_CONTROL_URL). */
  FAILSOFT_CONTROL_TOKEN: env.string({ default: '', minLength: 16 }),
};

/** The validated gateway configuration. */
export type GatewayConfig = EnvConfig<typeof gatewayEnvSchema>;

/** Slack above UPLOAD_MAX_BYTES accepted by the multipart parser (64 KiB). */
export const MULTIPART_SLACK_BYTES = 64 * 1024;

/** The multipart file-size limit: the upload cap plus a little slack (always below the gRPC message limit). */
export function multipartFileLimit(config: Pick<GatewayConfig, 'UPLOAD_MAX_BYTES'>): number {
  return config.UPLOAD_MAX_BYTES + MULTIPART_SLACK_BYTES;
}

/** Most uploads buffered at once, and the default when the memory limit is unknown. */
export const MAX_CONCURRENT_UPLOADS = 64;
/** Memory the gateway keeps apart from uploads: Node's heap and code, last-good caches, connections. */
export const GATEWAY_RESERVED_BYTES = 128 * 1024 * 1024;
/** Copies of an upload the gateway holds at its peak: the multipart buffer and the gRPC message. */
export const UPLOAD_COPIES = 2;

/**
 * The uploads one gateway buffers at once within its container's memory limit:
 * `floor((limit x 0.75 - 128 MiB) / (2 x multipart file limit))`, from 1 to 64 (64 without a known
 * limit). More are refused with 503 `UPLOADS_BUSY` + Retry-After before their body is read. With
 * deploy/k8s's 512 Mi limit and 10 MiB uploads: floor((384 - 128) / 20.1) = 12.
 */
export function maxConcurrentUploads(config: Pick<GatewayConfig, 'UPLOAD_MAX_BYTES' | 'MEMORY_LIMIT_BYTES'>): number {
  return concurrencyForMemory({ limitBytes: config.MEMORY_LIMIT_BYTES, reservedBytes: GATEWAY_RESERVED_BYTES, perTaskBytes: UPLOAD_COPIES * multipartFileLimit(config), max: MAX_CONCURRENT_UPLOADS });
}
