import * as grpc from '@grpc/grpc-js';

/**
 * A plain grpc-js client of one service, calling as another service would but with no sidecar in
 * between (no send limit, no retries): for specs that check what a real server refuses before its
 * handler, e.g. messages over its receive limit.
 */
export class RawGrpcClient {
  private readonly client: grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;

  /**
   * @param definition the service definition (e.g. `likesServiceDefinition()`)
   * @param serviceName the constructor's name (e.g. `LikesService`)
   * @param address `host:port` of the server, dialled without TLS
   * @param metadata entries every call carries (e.g. the token and the caller's name)
   */
  constructor(definition: grpc.ServiceDefinition, serviceName: string, address: string, private readonly metadata: Readonly<Record<string, string>>) {
    const Client = grpc.makeGenericClientConstructor(definition, serviceName);
    this.client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }) as typeof this.client;
  }

  /** Calls unary `method`; resolves `OK` or `<STATUS_NAME>: <details>` (never rejects). */
  call(method: string, request: object, timeoutMs = 10_000): Promise<string> {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(this.metadata)) metadata.set(key, value);
    const fn = this.client[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`the service has no method ${JSON.stringify(method)}`));
    return new Promise((resolve) => {
      fn.call(this.client, request, metadata, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null) =>
        resolve(error === null ? 'OK' : `${grpc.status[error.code]}: ${error.details}`),
      );
    });
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
