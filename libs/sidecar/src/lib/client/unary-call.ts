import { Metadata, status as GrpcStatus, type Client, type MethodDefinition, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** How a unary call ends: a grpc-js `ServiceError`, or null and the response. */
export type UnaryCallback = (error: ServiceError | null, response?: unknown) => void;

/** A started unary call. */
export interface StartedUnaryCall {
  /** Ends the call with CANCELLED "Cancelled on client" (nothing once it has ended). */
  cancel(): void;
}

/** A grpc-js `ServiceError` for `status`, as `makeUnaryRequest` reports it (message `<code> <NAME>: <details>`). */
export function serviceError(status: StatusObject): ServiceError {
  return Object.assign(new Error(`${status.code} ${GrpcStatus[status.code]}: ${status.details}`), status);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts a unary call on `client`'s channel through grpc-js' public `Channel.createCall`: what
 * `Client.makeUnaryRequest` does for a client without interceptors (serialise, start, read one
 * message, half-close; the same errors for a missing or extra response and for (de)serialisation
 * failures), minus the caller stack it captures with `new Error()` on every call. Under the policy
 * layers that stack is deep and capturing it was the largest single cost of a client call; this
 * path captures a stack only when a call fails (the sidecar tags errors with the instance), and
 * touches no global (the previous way set `Error.stackTraceLimit` to 0 around the call).
 * The sidecar's channels have no grpc-js interceptors nor per-call credentials (auth is metadata
 * or the channel's TLS), so nothing else is skipped.
 *
 * @param deadline absolute deadline in epoch ms (Infinity: none).
 */
export function startUnaryCall(
  client: Client,
  method: MethodDefinition<unknown, unknown>,
  request: unknown,
  metadata: Metadata,
  deadline: number,
  callback: UnaryCallback,
): StartedUnaryCall {
  const call = client.getChannel().createCall(method.path, deadline, undefined, null, undefined);
  let response: unknown;
  let received = false;
  let readError: StatusObject | undefined;
  let ended = false;
  call.start(metadata, {
    onReceiveMetadata: () => undefined,
    onReceiveMessage: (message: Buffer) => {
      if (received) {
        call.cancelWithStatus(GrpcStatus.UNIMPLEMENTED, 'Too many responses received');
        return;
      }
      received = true;
      try {
        response = method.responseDeserialize(message);
      } catch (error) {
        readError = { code: GrpcStatus.INTERNAL, details: `Response message parsing error: ${messageOf(error)}`, metadata: new Metadata() };
        call.cancelWithStatus(readError.code, readError.details);
      }
    },
    onReceiveStatus: (status: StatusObject) => {
      if (ended) return;
      ended = true;
      const final = readError ?? status;
      if (final.code !== GrpcStatus.OK) callback(serviceError(final));
      else if (!received) callback(serviceError({ code: GrpcStatus.UNIMPLEMENTED, details: 'No message received', metadata: status.metadata }));
      else callback(null, response);
    },
  });
  call.startRead();
  let serialized: Buffer;
  try {
    serialized = method.requestSerialize(request);
  } catch (error) {
    call.cancelWithStatus(GrpcStatus.INTERNAL, `Request message serialization failure: ${messageOf(error)}`);
    return { cancel: () => undefined };
  }
  call.sendMessageWithContext({}, serialized);
  call.halfClose();
  return { cancel: () => call.cancelWithStatus(GrpcStatus.CANCELLED, 'Cancelled on client') };
}
