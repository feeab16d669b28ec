import type { IncomingHttpHeaders } from 'node:http';
import type { KnownUser } from '../auth/demo-users';
import type { SessionClaims } from '../auth/session-token.service';

/** A file received by the multipart parser (memory storage). */
export interface UploadedImageFile {
  /** Form field name (always `image`). */
  readonly fieldname: string;
  /** File name the client sent (informational; never trusted). */
  readonly originalname: string;
  /** Content type the client claimed (a hint only: the upload service reads the bytes). */
  readonly mimetype: string;
  /** Size in bytes. */
  readonly size: number;
  /** The bytes. */
  readonly buffer: Buffer;
}

/** The parts of an Express request the gateway reads (no @types/express in the workspace). */
export interface GatewayRequest {
  readonly method: string;
  readonly url: string;
  readonly originalUrl?: string;
  readonly path?: string;
  readonly headers: IncomingHttpHeaders;
  readonly params: Record<string, string | undefined>;
  readonly query: Record<string, unknown>;
  readonly body?: unknown;
  /** Set by the multipart interceptor. */
  readonly file?: UploadedImageFile;
  /** Set by SignedInGuard / ViewerGuard when a valid token came with the request. */
  user?: KnownUser;
  /** The verified token (id and expiry), set with `user`. */
  session?: SessionClaims;
  /** The peer of the connection (Express). */
  readonly socket?: { readonly remoteAddress?: string; destroy?(): void };
  /** False while the body has not been read to the end (Node's IncomingMessage). */
  readonly complete?: boolean;
  /** Stream events of the body (Node's IncomingMessage). */
  on?(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/** The parts of an Express response the gateway writes. */
export interface GatewayResponse {
  headersSent: boolean;
  status(code: number): GatewayResponse;
  setHeader(name: string, value: string | number): unknown;
  removeHeader(name: string): unknown;
  getHeader(name: string): unknown;
  json(body: unknown): unknown;
  send(body: unknown): unknown;
  end(): unknown;
}
