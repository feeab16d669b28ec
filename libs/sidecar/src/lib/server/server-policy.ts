import type { ServerSurfaceCall, ServerCallContext } from './handler-context';
import type { SidecarErrorCode } from '../core/sidecar.error';

/** The method a call is for. */
export interface MethodInfo {
  /** Method name as written in the .proto, e.g. `Like`. */
  readonly name: string;
  /** Full gRPC path, e.g. `/failsoft.likes.v1.Likes/Like`. */
  readonly path: string;
}

/**
 * A call on its way through admission. Policies read it and fill in what they establish
 * (the authentication policy sets `caller`, the deadline policy sets `deadline`).
 */
export interface IncomingCall {
  /** The grpc-js call. */
  readonly surface: ServerSurfaceCall;
  /** The method called. */
  readonly method: MethodInfo;
  /** Authenticated caller ('' until the authentication policy ran). */
  caller: string;
  /** Absolute deadline in epoch ms (Infinity until the deadline policy ran, or when none). */
  deadline: number;
}

/** How a policy answers a call it does not let through. */
export interface Refusal {
  /** gRPC status code. */
  readonly code: number;
  /** Status details the client receives. */
  readonly details: string;
  /** Why, sent in the `x-failsoft-error` trailer (absent: no trailer). */
  readonly reason?: SidecarErrorCode;
}

/**
 * One step of the server pipeline (the server-side counterpart of a client policy). A
 * {@link SidecarServer} runs its policies in order for every call:
 * - `admit` (synchronous) before the call counts as in flight: return a {@link Refusal} to answer
 *   it at once (the handler does not run), or undefined to pass it on;
 * - `prepare` once the call is admitted (in flight, its context built), just before the handler:
 *   may delay (return a promise) and may refuse.
 * Policies count what they refuse in the server's metrics themselves.
 */
export interface ServerPolicy {
  /** Short name for logs and docs, e.g. `draining`. */
  readonly name: string;
  /** Admission check; a refusal answers the call without running it. */
  admit?(call: IncomingCall): Refusal | undefined;
  /** Runs before the handler of an admitted call; undefined (or a promise of it) lets it run. */
  prepare?(ctx: ServerCallContext, call: ServerSurfaceCall): Promise<Refusal | undefined> | undefined;
}
