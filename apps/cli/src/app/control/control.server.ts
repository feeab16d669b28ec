import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionsError, type FaultRuleInput } from '@failsoft/sidecar';
import { CHAOS_ERROR_STATUS, ChaosError, isChaosError } from '../chaos/chaos.error';
import { CHAOS_SIGNALS, type ChaosSignal, type ChaosTarget } from '../chaos/chaos-target';
import { newFaultId } from '../chaos/fault-rules';
import { CONTROL_API_PREFIX, CONTROL_MAX_BODY_BYTES } from './control.constants';

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

/** What a route handler returns: a JSON body (status 200). */
type Handler = (params: string[], body: () => Promise<Record<string, unknown>>) => Promise<unknown>;

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
  /** Changes something (logged). */
  action?: boolean;
}

function parseSignal(value: unknown): ChaosSignal {
  if (value === undefined) return 'KILL';
  if (typeof value === 'string' && (CHAOS_SIGNALS as readonly string[]).includes(value.toUpperCase().replace(/^SIG/, ''))) {
    return value.toUpperCase().replace(/^SIG/, '') as ChaosSignal;
  }
  throw new ChaosError('BAD_REQUEST', `signal must be one of ${CHAOS_SIGNALS.join(', ')}; got ${JSON.stringify(value)}`);
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw new ChaosError('BAD_REQUEST', `unknown field ${JSON.stringify(extra[0])}; ${allowed.length ? `allowed: ${allowed.join(', ')}` : 'this route takes no body fields'}`);
}

function sentinelIndex(raw: string): number {
  if (!/^\d{1,3}$/.test(raw)) throw new ChaosError('BAD_REQUEST', `sentinel index must be a number (0-based); got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** The routes of the control channel over `target`. */
function routes(target: ChaosTarget): Route[] {
  const p = CONTROL_API_PREFIX;
  const seg = '([^/]+)';
  return [
    { method: 'GET', pattern: new RegExp(`^${p}/status$`), handler: async () => target.status() },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/instances/${seg}/kill$`),
      action: true,
      handler: async ([id], body) => {
        const b = await body();
        onlyFields(b, ['signal']);
        const signal = parseSignal(b['signal']);
        await target.kill(id, signal);
        return { ok: true, id, signal };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/instances/${seg}/revive$`),
      action: true,
      handler: async ([id], body) => {
        onlyFields(await body(), []);
        await target.revive(id);
        return { ok: true, id };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/services/${seg}/kill$`),
      action: true,
      handler: async ([service], body) => {
        const b = await body();
        onlyFields(b, ['signal']);
        const signal = parseSignal(b['signal']);
        const ids = await target.instancesOf(service);
        await Promise.all(ids.map((id) => target.kill(id, signal)));
        return { ok: true, service, ids, signal };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/services/${seg}/revive$`),
      action: true,
      handler: async ([service], body) => {
        onlyFields(await body(), []);
        const ids = await target.instancesOf(service);
        await Promise.all(ids.map((id) => target.revive(id)));
        return { ok: true, service, ids };
      },
    },
    { method: 'POST', pattern: new RegExp(`^${p}/redis/failover$`), action: true, handler: async () => ({ ok: true, master: await target.redisFailover() }) },
    { method: 'POST', pattern: new RegExp(`^${p}/redis/kill-master$`), action: true, handler: async () => ({ ok: true, killed: await target.redisKillMaster() }) },
    { method: 'POST', pattern: new RegExp(`^${p}/redis/pause-master$`), action: true, handler: async () => ({ ok: true, paused: await target.redisPauseMaster() }) },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/redis/resume$`),
      action: true,
      handler: async () => {
        await target.redisResume();
        return { ok: true };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/sentinels/${seg}/kill$`),
      action: true,
      handler: async ([index]) => {
        const i = sentinelIndex(index);
        await target.killSentinel(i);
        return { ok: true, index: i };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/sentinels/${seg}/revive$`),
      action: true,
      handler: async ([index]) => {
        const i = sentinelIndex(index);
        await target.reviveSentinel(i);
        return { ok: true, index: i };
      },
    },
    { method: 'GET', pattern: new RegExp(`^${p}/faults$`), handler: async () => target.listFaults() },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/faults$`),
      action: true,
      handler: async (_params, body) => {
        const b = await body();
        const service = typeof b['service'] === 'string' ? b['service'] : '*';
        const method = typeof b['method'] === 'string' ? b['method'] : '*';
        const input = { ...b, id: b['id'] === undefined ? newFaultId(service, method) : b['id'] } as unknown as FaultRuleInput;
        return target.addFault(input);
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^${p}/faults/${seg}$`),
      action: true,
      handler: async ([id]) => {
        await target.removeFault(id);
        return { ok: true, id };
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^${p}/faults$`),
      action: true,
      handler: async () => {
        const ids = (await target.listFaults()).map((r) => r.id);
        for (const id of ids) await target.removeFault(id).catch((error: unknown) => (isChaosError(error, 'NOT_FOUND') ? undefined : Promise.reject(error)));
        return { ok: true, removed: ids };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${p}/wait-healthy$`),
      handler: async (_params, body) => {
        const b = await body();
        onlyFields(b, ['timeoutMs']);
        const timeoutMs = b['timeoutMs'] ?? 60_000;
        if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
          throw new ChaosError('BAD_REQUEST', `timeoutMs must be an integer from 1 to 600000; got ${JSON.stringify(timeoutMs)}`);
        }
        await target.waitForHealthy(timeoutMs);
        return { ok: true };
      },
    },
  ];
}

/** Reads a JSON object body (empty body → `{}`). @throws ChaosError BAD_REQUEST */
function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > CONTROL_MAX_BODY_BYTES && !failed) {
        failed = true;
        reject(new ChaosError('BAD_REQUEST', `the request body is larger than ${CONTROL_MAX_BODY_BYTES} bytes`));
      }
      if (!failed) chunks.push(chunk);
    });
    req.on('error', (error) => reject(new ChaosError('BAD_REQUEST', `could not read the request body (${error.message})`)));
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        return reject(new ChaosError('BAD_REQUEST', `the request body is not valid JSON (${(error as Error).message})`));
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject(new ChaosError('BAD_REQUEST', `the request body must be a JSON object; got ${text.slice(0, 40)}`));
      resolve(parsed as Record<string, unknown>);
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { code, message } }, headers);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1].trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * Starts the control channel of a running platform: the {@link ChaosTarget} as JSON over HTTP on
 * loopback, every request authenticated with `Authorization: Bearer <token>`. Errors are
 * `{"error":{"code","message"}}` (400 bad input, 401 no or wrong token, 404 unknown route or
 * instance, 405 wrong method, 409 conflict, 503 Redis away, 500 anything else); a bad request
 * never crashes the process. Routes: see docs in README ("Chaos commands").
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (token.length < 16) throw new RangeError(`control server token must be at least 16 characters; got ${token.length}`);
  const log = options.log ?? (() => undefined);
  const table = routes(options.target);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://control').pathname;
    if (!tokenMatches(req.headers.authorization, token)) {
      return sendError(res, 401, 'UNAUTHENTICATED', 'missing or wrong bearer token: send Authorization: Bearer <control.token of the run-state file>', { 'www-authenticate': 'Bearer' });
    }
    const matching = table.map((route) => ({ route, match: route.pattern.exec(path) })).filter((m) => m.match !== null);
    if (matching.length === 0) return sendError(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}; routes start with ${CONTROL_API_PREFIX}/ (status, instances, services, redis, sentinels, faults)`);
    const found = matching.find((m) => m.route.method === req.method);
    if (!found) {
      const allow = [...new Set(matching.map((m) => m.route.method))].join(', ');
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${path} takes ${allow}, not ${req.method}`, { allow });
    }
    let params: string[];
    try {
      params = (found.match as RegExpExecArray).slice(1).map((s) => decodeURIComponent(s));
    } catch {
      return sendError(res, 400, 'BAD_REQUEST', `bad percent-encoding in ${path}`);
    }
    try {
      const result = await found.route.handler(params, () => readBody(req));
      if (found.route.action) log(`[control] ${req.method} ${path}: ok`);
      send(res, 200, result);
    } catch (error) {
      const { status, code, message } = describeError(error);
      if (found.route.action || status >= 500) log(`[control] ${req.method} ${path}: ${status} ${message}`);
      sendError(res, status, code, message);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, 500, 'INTERNAL', (error as Error)?.message ?? String(error)));
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

/** HTTP status, code and message of a failed action. */
export function describeError(error: unknown): { status: number; code: string; message: string } {
  if (isChaosError(error)) return { status: CHAOS_ERROR_STATUS[error.code], code: error.code, message: error.message };
  if (error instanceof InvalidOptionsError) return { status: 400, code: 'BAD_REQUEST', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, code: 'INTERNAL', message };
}
