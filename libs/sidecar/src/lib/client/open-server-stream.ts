import type * as grpc from '@grpc/grpc-js';
import { GrpcStatus } from '../policies/grpc-status';
import { serviceError } from './unary-call';
import { ServerStreamReader, startServerStreamCall } from './server-stream-call';

/** A server-streaming call whose first message has arrived (or that ended OK without any). */
export interface OpenedServerStream<Res> {
  /** The first message; undefined when the stream ended OK without one. */
  readonly first: Res | undefined;
  /** The messages after the first, pulled one at a time (see ServerStreamReader). */
  readonly rest: ServerStreamReader<Res>;
}

/** What one attempt to open a server-streaming call needs. */
export interface OpenStreamAttempt {
  readonly client: grpc.Client;
  readonly definition: grpc.MethodDefinition<unknown, unknown>;
  readonly request: unknown;
  readonly metadata: grpc.Metadata;
  /** Deadline of the whole stream (epoch ms): the gRPC deadline. */
  readonly streamDeadline: number;
  /** The first message must arrive by then (epoch ms), else the attempt fails with DEADLINE_EXCEEDED (retryable on another instance). */
  readonly firstMessageBy: number;
  /** Aborted while opening (policy deadline, bulkhead): cancels the attempt. Not watched once open. */
  readonly openSignal?: AbortSignal;
  /** The caller's signal: cancels the call while opening and while streaming. */
  readonly callerSignal?: AbortSignal;
}

/**
 * Opens a server-streaming call on one instance and resolves once its first message arrived (or
 * the call ended OK without one): failures before that reject, so the policy layers around it
 * (breakers, retry, bulkhead) see them like unary failures, and no retry can happen once a
 * message was received. A call whose first message does not come by `firstMessageBy` is
 * cancelled and rejects with DEADLINE_EXCEEDED tagged `attemptTimedOut` (the retry policy may try
 * another instance). The caller's signal keeps cancelling the call after it opened.
 */
export function openServerStream<Res>(attempt: OpenStreamAttempt): Promise<OpenedServerStream<Res>> {
  const reader = new ServerStreamReader<Res>();
  const started = startServerStreamCall(attempt.client, attempt.definition, attempt.request, attempt.metadata, attempt.streamDeadline, reader.listener);
  reader.attach(started);
  const { openSignal, callerSignal } = attempt;
  const onCallerAbort = (): void => reader.cancel('the caller cancelled the stream');
  if (callerSignal !== undefined) {
    if (callerSignal.aborted) onCallerAbort();
    else {
      callerSignal.addEventListener('abort', onCallerAbort, { once: true });
      reader.onEnd(() => callerSignal.removeEventListener('abort', onCallerAbort));
    }
  }
  let timedOut = false;
  const onOpenAbort = (): void => reader.cancel('the call was cancelled while opening');
  const timer = setTimeout(
    () => {
      timedOut = true;
      reader.cancel('no first message in time');
    },
    Math.max(0, Math.min(attempt.firstMessageBy, attempt.streamDeadline) - Date.now()),
  );
  if (openSignal !== undefined) {
    if (openSignal.aborted) onOpenAbort();
    else openSignal.addEventListener('abort', onOpenAbort, { once: true });
  }
  const opened = (): void => {
    clearTimeout(timer);
    openSignal?.removeEventListener('abort', onOpenAbort);
  };
  return reader.next().then(
    (result) => {
      opened();
      return { first: result.done ? undefined : result.value, rest: reader };
    },
    (error: grpc.ServiceError) => {
      opened();
      if (!timedOut) throw error;
      throw Object.assign(serviceError({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'the stream sent no first message before its attempt deadline', metadata: error.metadata }), {
        attemptTimedOut: true,
      });
    },
  );
}
