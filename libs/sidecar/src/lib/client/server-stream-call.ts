import { Metadata, status as GrpcStatus, type Client, type MethodDefinition, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { serviceError } from './unary-call';

/** What a started server-streaming call reports: one message per `read()`, then its end once. */
export interface ServerStreamListener {
  /** A response message (deserialised), delivered only after a `read()` asked for it. */
  onMessage(message: unknown): void;
  /** The call ended: null when OK, else a grpc-js `ServiceError`. Called once, after every message was read. */
  onEnd(error: ServiceError | null): void;
}

/** A started server-streaming call. */
export interface StartedServerStream {
  /** Asks for the next message (one `onMessage` per call). Until asked, grpc-js stops reading the HTTP/2 stream (flow control). */
  read(): void;
  /** Ends the call with CANCELLED and `details` (nothing once it has ended). */
  cancel(details?: string): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts a server-streaming call on `client`'s channel through grpc-js' public
 * `Channel.createCall` (as startUnaryCall does for unary calls). Reading is pull-based: grpc-js
 * delivers a message only after `read()`, and while nobody reads it pauses the HTTP/2 stream, so
 * the server's writes block on flow control instead of piling up in this process. The end status
 * is delivered after the last message was read.
 *
 * @param deadline absolute deadline in epoch ms (Infinity: none).
 */
export function startServerStreamCall(
  client: Client,
  method: MethodDefinition<unknown, unknown>,
  request: unknown,
  metadata: Metadata,
  deadline: number,
  listener: ServerStreamListener,
): StartedServerStream {
  const call = client.getChannel().createCall(method.path, deadline, undefined, null, undefined);
  let readError: StatusObject | undefined;
  let ended = false;
  call.start(metadata, {
    onReceiveMetadata: () => undefined,
    onReceiveMessage: (message: Buffer) => {
      if (readError !== undefined) return;
      let decoded: unknown;
      try {
        decoded = method.responseDeserialize(message);
      } catch (error) {
        readError = { code: GrpcStatus.INTERNAL, details: `Response message parsing error: ${messageOf(error)}`, metadata: new Metadata() };
        call.cancelWithStatus(readError.code, readError.details);
        return;
      }
      listener.onMessage(decoded);
    },
    onReceiveStatus: (status: StatusObject) => {
      if (ended) return;
      ended = true;
      const final = readError ?? status;
      listener.onEnd(final.code === GrpcStatus.OK ? null : serviceError(final));
    },
  });
  let serialized: Buffer;
  try {
    serialized = method.requestSerialize(request);
  } catch (error) {
    call.cancelWithStatus(GrpcStatus.INTERNAL, `Request message serialization failure: ${messageOf(error)}`);
    return { read: () => undefined, cancel: () => undefined };
  }
  call.sendMessageWithContext({}, serialized);
  call.halfClose();
  return {
    read: () => {
      if (!ended) call.startRead();
    },
    cancel: (details = 'Cancelled on client') => {
      if (!ended) call.cancelWithStatus(GrpcStatus.CANCELLED, details);
    },
  };
}

/**
 * The messages of a server-streaming call as an async iterable, pulled one at a time: a message is
 * asked of grpc-js only when the consumer calls `next()`, so a slow consumer slows the server
 * (backpressure) and at most one message is buffered here. Leaving a `for await` early (break,
 * throw) or calling `cancel()` cancels the call.
 */
export class ServerStreamReader<Res> implements AsyncIterable<Res> {
  private readonly buffered: Res[] = [];
  private end: { error: ServiceError | null } | undefined;
  private waiter: { resolve: (result: IteratorResult<Res>) => void; reject: (error: unknown) => void } | undefined;
  private readonly endListeners: Array<(error: ServiceError | null) => void> = [];
  private call: StartedServerStream | undefined;

  /** The listener to pass to startServerStreamCall (then `attach` the started call). */
  readonly listener: ServerStreamListener = {
    onMessage: (message) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter !== undefined) waiter.resolve({ value: message as Res, done: false });
      else this.buffered.push(message as Res);
    },
    onEnd: (error) => {
      this.end = { error };
      for (const listener of this.endListeners.splice(0)) listener(error);
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter === undefined) return;
      if (error === null) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    },
  };

  /** Binds the started call (reads and cancellation go to it). */
  attach(call: StartedServerStream): void {
    this.call = call;
  }

  /** True once the call has ended (OK or not). */
  get ended(): boolean {
    return this.end !== undefined;
  }

  /** Calls `listener` once the call ends (at once when it already has). */
  onEnd(listener: (error: ServiceError | null) => void): void {
    if (this.end !== undefined) listener(this.end.error);
    else this.endListeners.push(listener);
  }

  /** The next message; `done` once the call ended OK. @throws the call's ServiceError when it failed. */
  next(): Promise<IteratorResult<Res>> {
    const message = this.buffered.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.end !== undefined) return this.end.error === null ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.end.error);
    if (this.waiter !== undefined) return Promise.reject(new Error('ServerStreamReader.next() called again before the previous read settled'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.call?.read();
    });
  }

  /** Cancels the call (CANCELLED); a pending `next()` rejects with it. */
  cancel(details?: string): void {
    this.call?.cancel(details);
  }

  /** Iterates the remaining messages; leaving the loop early cancels the call. */
  [Symbol.asyncIterator](): AsyncIterator<Res> {
    return {
      next: () => this.next(),
      return: async () => {
        if (this.end === undefined) this.cancel('the reader stopped reading');
        return { value: undefined, done: true };
      },
    };
  }
}
