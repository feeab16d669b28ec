import type { HandlerContext } from './handler-context';

/** A promise-based unary handler: resolve with the response, throw to fail (see `mapHandlerError`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UnaryHandler<Req = any, Res = any> = (request: Req, ctx: HandlerContext) => Promise<Res> | Res;

/** Where a server-streaming handler writes its messages; `write` resolves when the stream can take more. */
export interface ResponseStream<Res> {
  /** Sends one message; await it to respect backpressure. Rejects once the call is cancelled. */
  write(message: Res): Promise<void>;
}

/** A server-streaming handler: write messages, resolve to end the stream OK, throw to fail it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServerStreamHandler<Req = any, Res = any> = (request: Req, ctx: HandlerContext, stream: ResponseStream<Res>) => Promise<void> | void;

/** Handlers of one service, by method name (`Echo`, or its camelCase `echo`). */
export type ServiceHandlers = Record<string, UnaryHandler | ServerStreamHandler>;
