import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_API_PREFIX } from '@failsoft/contracts';
import type { ChaosTarget } from '../chaos/chaos-target';
import { describeError, readBody, send, sendError, tokenMatches } from './control-http';
import { CONTROL_ROUTES, type ControlRoute } from './control.routes';

export { describeError } from './control-http';

/** Options of {@link startControlServer}. */
export interface ControlServerOptions {
  /** What the routes act on. */
  target: ChaosTarget;
  /** Loopback host to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Bearer token (default: 24 random bytes, base64url). */
  token?: string;
  /** One line per request that changed something, and per failure (default: none). */
  log?: (line: string) => void;
}

/** A running control channel. */
export interface ControlServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** What requests must carry in `Authorization: Bearer <token>`. */
  readonly token: string;
  /** Stops listening and closes open connections; idempotent. */
  close(): Promise<void>;
}

/** A route with its path template compiled (`:name` segments become captures). */
interface CompiledRoute {
  readonly route: ControlRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(route: ControlRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/:([a-z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${CONTROL_API_PREFIX}${source}$`), names };
}

/** Routes the request to its handler: 404 unknown path, 405 wrong method, 400 bad percent-encoding. */
async function dispatch(table: readonly CompiledRoute[], target: ChaosTarget, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://control').pathname;
  const matching = table.map((c) => ({ c, match: c.pattern.exec(path) })).filter((m) => m.match !== null);
  if (matching.length === 0) return sendError(res, 'NOT_FOUND', `no route ${req.method} ${path}; routes start with ${CONTROL_API_PREFIX}/ (status, instances, services, redis, sentinels, faults)`);
  const found = matching.find((m) => m.c.route.method === req.method);
  if (!found) {
    const allow = [...new Set(matching.map((m) => m.c.route.method))].join(', ');
    return sendError(res, 'METHOD_NOT_ALLOWED', `${path} takes ${allow}, not ${req.method}`, { allow });
  }
  let params: Record<string, string>;
  try {
    params = Object.fromEntries(found.c.names.map((name, i) => [name, decodeURIComponent((found.match as RegExpExecArray)[i + 1])]));
  } catch {
    return sendError(res, 'BAD_REQUEST', `bad percent-encoding in ${path}`);
  }
  const { route } = found.c;
  try {
    const result = await route.handle({ target, params, body: () => readBody(req) });
    if (route.action) log(`[control] ${req.method} ${path}: ok`);
    send(res, 200, result);
  } catch (error) {
    const { status, code, message } = describeError(error);
    if (route.action || status >= 500) log(`[control] ${req.method} ${path}: ${status} ${message}`);
    sendError(res, code, message);
  }
}

/**
 * Starts the control channel of a running platform: the {@link ChaosTarget} as JSON over HTTP on
 * loopback, every request authenticated with `Authorization: Bearer <token>`. Errors are
 * `{"error":{"code","message"}}` (400 bad input, 401 no or wrong token, 404 unknown route or
 * instance, 405 wrong method, 409 conflict, 503 Redis away, 500 anything else); a bad request
 * never crashes the process. The routes are the table CONTROL_ROUTES (control.routes.ts).
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (token.length < 16) throw new RangeError(`control server token must be at least 16 characters; got ${token.length}`);
  const log = options.log ?? (() => undefined);
  const table = CONTROL_ROUTES.map(compile);
  const server: Server = createServer((req, res) => {
    if (!tokenMatches(req.headers.authorization, token)) {
      return sendError(res, 'UNAUTHENTICATED', 'missing or wrong bearer token: send Authorization: Bearer <control.token of the run-state file>', { 'www-authenticate': 'Bearer' });
    }
    dispatch(table, options.target, req, res, log).catch((error: unknown) => sendError(res, 'INTERNAL', (error as Error)?.message ?? String(error)));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    token,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
