import * as grpc from '@grpc/grpc-js';
import type { ServiceInstance } from '../core/instance';

/** Channel settings tuned for fail-soft: fast reconnects, keepalives that notice dead peers. */
export const DEFAULT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.enable_retries': 0, // the sidecar retries (on another instance, within a budget)
  'grpc.service_config_disable_resolution': 1,
};

/**
 * One gRPC channel (grpc.Client) per instance address, created on first use and closed when the
 * instance leaves the view. A pool belongs to one downstream service.
 */
export class ChannelPool {
  private readonly clients = new Map<string, grpc.Client>();
  private closed = false;

  /**
   * @param credentials channel credentials (insecure or mTLS) for every instance.
   * @param options extra channel options merged over DEFAULT_CHANNEL_OPTIONS.
   */
  constructor(
    private readonly credentials: grpc.ChannelCredentials,
    private readonly options: grpc.ChannelOptions = {},
  ) {}

  /** The client for `instance`'s address (created on first use). */
  get(instance: ServiceInstance): grpc.Client {
    let client = this.clients.get(instance.address);
    if (client === undefined) {
      if (this.closed) throw new Error('channel pool is shut down');
      client = new grpc.Client(instance.address, this.credentials, { ...DEFAULT_CHANNEL_OPTIONS, ...this.options });
      this.clients.set(instance.address, client);
    }
    return client;
  }

  /** Closes the channels of addresses no longer in `instances`. */
  retain(instances: readonly ServiceInstance[]): void {
    if (this.clients.size === 0) return;
    const keep = new Set(instances.map((i) => i.address));
    for (const [address, client] of this.clients) {
      if (!keep.has(address)) {
        client.close();
        this.clients.delete(address);
      }
    }
  }

  /** Number of open channels. */
  get size(): number {
    return this.clients.size;
  }

  /** Closes every channel. */
  shutdown(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
