import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { SessionTokenService } from '../src/app/auth/session-token.service';

/** Secrets of the console specs' gateways (and of the stand-in control channel). */
export const CONSOLE_SPEC = {
  token: 'console-spec-token-0123456789',
  secret: 'console-spec-secret-0123456789abcdef0123',
  controlToken: 'control-spec-token-0123456789',
  operatorPassword: 'operator-spec-password-0123456789',
} as const;
const CONTROL_TOKEN = CONSOLE_SPEC.controlToken;

/** Tokens of members, signed with the gateways' secret (valid on every one of them). */
const issuer = new SessionTokenService({ AUTH_SECRET: CONSOLE_SPEC.secret, AUTH_TOKEN_TTL_S: 3600 });
export const MEMBER_TOKEN = issuer.issue('alice').token;
export const BOB_TOKEN = issuer.issue('bob').token;

/** Request options carrying `token` (a member's by default). */
export const auth = (token: string = MEMBER_TOKEN): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

/** A JSON request: status, headers and the parsed body (fails the test when the body is not JSON). */
export async function json<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  try {
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as T };
  } catch {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** Signs `user` in at `url` and checks the role it gets. */
export async function signIn(url: string, user = 'alice', password = 'failsoft'): Promise<string> {
  const res = await json<{ token: string; role: string }>(`${url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  expect(res.status).toBe(200);
  expect(res.body.role).toBe(user === 'operator' ? 'operator' : 'member');
  return res.body.token;
}

/** `POST /api/console/actions` with `body` (a string is sent as is), as `token`. */
export function action(url: string, body: unknown, token?: string): Promise<{ status: number; headers: Headers; body: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  return json(`${url}/api/console/actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A stand-in for the control channel: answers its contract, records what it was asked. */
export class ControlDouble {
  readonly calls: Array<{ method: string; path: string; body: unknown }> = [];
  /** The gateways the status reports (the last-gateway rule reads them). */
  gateways = [
    { id: 'gateway-1', service: 'gateway', state: 'running', pid: 301, zone: 'zone-a', url: 'http://127.0.0.1:6001', restarts: 0, ready: true },
    { id: 'gateway-2', service: 'gateway', state: 'held', pid: null, zone: 'zone-b', url: 'http://127.0.0.1:6002', restarts: 0, ready: false },
  ];
  /** The fault rules the status reports. */
  faults: Array<Record<string, unknown>> = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `Bearer ${CONTROL_TOKEN}`) return send(401, { error: { code: 'UNAUTHENTICATED', message: 'wrong token' } });
        const path = req.url ?? '';
        this.calls.push({ method: req.method ?? '', path, body: text === '' ? undefined : JSON.parse(text) });
        if (req.method === 'GET' && path === '/v1/status') {
          return send(200, {
            kind: 'local',
            url: 'http://127.0.0.1:8080',
            instances: [
              { id: 'likes-1', service: 'likes', state: 'running', pid: 101, zone: 'zone-a', url: 'http://127.0.0.1:5001', restarts: 0, ready: true },
              { id: 'likes-2', service: 'likes', state: 'held', pid: null, zone: 'zone-b', url: 'http://127.0.0.1:5002', restarts: 1, ready: false },
              ...this.gateways,
            ],
            redis: { master: '127.0.0.1:7000', nodes: [{ host: '127.0.0.1', port: 7000, pid: 200, role: 'master', state: 'running' }] },
            trendingLeader: 'feed-1',
            breakers: {},
            faults: this.faults,
          });
        }
        if (req.method === 'POST' && path === '/v1/instances/likes-9/kill') return send(404, { error: { code: 'UNKNOWN_INSTANCE', message: 'no instance likes-9 (instances: likes-1, likes-2)' } });
        if (req.method === 'POST' && path === '/v1/redis/failover') return send(200, { ok: true, master: '127.0.0.1:7001' });
        return send(200, { ok: true });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
