import type { MethodDefinition } from '@grpc/proto-loader';

/** A generated service definition without its index signature: the methods only. */
type MethodsOnly<D> = { [K in keyof D as string extends K ? never : number extends K ? never : K]: D[K] };

/**
 * The client view of a generated service definition: per method, `[request you send, response
 * you receive]` (input and output flavours). Feed it to the sidecar's `TypedClient<M>`:
 * `client.typed<LikesMethods>()` makes a wrong method name or message a compile error.
 */
export type ClientMethodsOf<D> = {
  [K in keyof MethodsOnly<D>]: MethodsOnly<D>[K] extends MethodDefinition<infer Req, infer _Res, infer _ReqOut, infer ResOut> ? [Req, ResOut] : never;
};

/**
 * The server view of a generated service definition: per method, `[request you receive, response
 * you answer]` (output and input flavours).
 */
export type ServerMethodsOf<D> = {
  [K in keyof MethodsOnly<D>]: MethodsOnly<D>[K] extends MethodDefinition<infer _Req, infer Res, infer ReqOut, infer _ResOut> ? [ReqOut, Res] : never;
};

/**
 * Promise-based handlers of a generated service, as the sidecar's server runs them: one method
 * per RPC taking the request and the call context (`Ctx`, the sidecar's `HandlerContext`).
 * `class LikesHandlers implements LikesServiceHandlers<HandlerContext>` makes a missing method or
 * a wrong message a compile error. (Server-streaming methods take the stream as third argument:
 * a service's types omit them here and declare them by hand, as upload.types.ts does for StreamImage.)
 */
export type HandlersOf<D, Ctx> = {
  [K in keyof ServerMethodsOf<D>]: (request: ServerMethodsOf<D>[K][0], ctx: Ctx) => Promise<ServerMethodsOf<D>[K][1]> | ServerMethodsOf<D>[K][1];
};
