import type { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@failsoft/sidecar/nest';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { gatewaySpecEnv, SPEC_SECRETS } from '../../../test/gateway-spec-support';
import { openRaw, type RawConnection as Raw } from '../../../test/raw-connection';
import { gatewayBootstrapOptions } from '../gateway.bootstrap';

/**
 * The gateway's connection limits on the real app over raw sockets: an idle kept-alive connection
 * is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS (one that keeps sending requests is not), and beyond
 * HTTP_MAX_CONNECTIONS a new connection is closed at once, unanswered, while those within the limit
 * are served (and a freed place serves a new one).
 */
jest.setTimeout(60_000);

/** Keep-alive timeout of the first gateway, ms (small, so that the idle close is seen quickly). */
const KEEP_ALIVE_MS = 1000;
/** Headers timeout of both gateways, ms: far above KEEP_ALIVE_MS, so a close before it is the keep-alive's. */
const HEADERS_TIMEOUT_MS = 30_000;
/** Connection limit of the second gateway (the least the setting allows). */
const MAX_CONNECTIONS = 16;
/** A request that any gateway answers (whatever its status) without a body. */
const REQUEST = 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

let topology: SentinelTopology;
let keepAliveApp: INestApplication;
let limitedApp: INestApplication;

beforeAll(async () => {
  topology = await startSentinelTopology({ replicas: 0, sentinels: 1, quorum: 1 });
  const timeouts = { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(2 * HEADERS_TIMEOUT_MS) };
  keepAliveApp = await bootstrapService(gatewayBootstrapOptions(gatewaySpecEnv(topology, SPEC_SECRETS, 'gateway-k1', { ...timeouts, HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS) })));
  limitedApp = await bootstrapService(
    gatewayBootstrapOptions(gatewaySpecEnv(topology, SPEC_SECRETS, 'gateway-m1', { ...timeouts, HTTP_KEEP_ALIVE_TIMEOUT_MS: '60000', HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS) })),
  );
}, 90_000);

afterAll(async () => {
  await keepAliveApp?.close();
  await limitedApp?.close();
  await topology?.stop();
});

async function portOf(app: INestApplication): Promise<number> {
  return Number(new URL(await app.getUrl()).port);
}


/** Responses received on `raw` so far (status lines). */
function responses(raw: Raw): number {
  return raw.received.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0;
}

/** Sends REQUEST on `raw` and waits for its answer (the connection must stay open). */
async function ask(raw: Raw, what: string): Promise<void> {
  const before = responses(raw);
  raw.socket.write(REQUEST);
  await waitUntil(() => responses(raw) > before || raw.closed, { timeoutMs: 15_000, message: `an answer on ${what}` });
  if (responses(raw) === before) throw new Error(`${what} was closed without an answer`);
}

/** Connections the server holds now (its own count, the one maxConnections is checked against). */
function connectionsOf(app: INestApplication): Promise<number> {
  const server = app.getHttpServer() as Server;
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

describe('keep-alive timeout (HTTP_KEEP_ALIVE_TIMEOUT_MS)', () => {
  it(`closes a kept-alive connection left idle for ${KEEP_ALIVE_MS} ms, well before any other timeout`, async () => {
    const raw = await openRaw(await portOf(keepAliveApp));
    await ask(raw, 'the kept-alive connection');
    expect(raw.received).toMatch(/keep-alive: timeout=1\r\n/i);
    const idleSince = Date.now();
    // within 10× the timeout (generous for a loaded machine), a third of the headers timeout
    await waitUntil(() => raw.closed, { timeoutMs: 10 * KEEP_ALIVE_MS, message: `the idle connection to be closed after ${KEEP_ALIVE_MS} ms (HTTP_KEEP_ALIVE_TIMEOUT_MS)` });
    // not before the timeout (timers may fire a few ms early), and with nothing more sent
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 50);
    expect(responses(raw)).toBe(1);
  });

  it(`control: keeps a connection that sends a request every ${KEEP_ALIVE_MS / 4} ms open for ${3 * KEEP_ALIVE_MS} ms`, async () => {
    const raw = await openRaw(await portOf(keepAliveApp));
    const started = Date.now();
    let asked = 0;
    while (Date.now() - started < 3 * KEEP_ALIVE_MS) {
      await ask(raw, `the active connection (request ${asked + 1}, ${Date.now() - started} ms in)`);
      asked++;
      // the client's think time between requests: shorter than the keep-alive timeout (the scenario, not a wait)
      await delay(KEEP_ALIVE_MS / 4);
    }
    expect(raw.closed).toBe(false);
    expect(responses(raw)).toBe(asked);
    raw.socket.destroy();
  });
});

describe('connection limit (HTTP_MAX_CONNECTIONS)', () => {
  it(`serves ${MAX_CONNECTIONS} connections, closes the next one unanswered, and serves a new one once a place is free`, async () => {
    const port = await portOf(limitedApp);
    const held: Raw[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const raw = await openRaw(port);
      held.push(raw);
      await ask(raw, `connection ${i + 1} of ${MAX_CONNECTIONS}`);
    }
    expect(await connectionsOf(limitedApp)).toBe(MAX_CONNECTIONS);

    const extra = await openRaw(port);
    extra.socket.write(REQUEST);
    await waitUntil(() => extra.closed, { timeoutMs: 15_000, message: `connection ${MAX_CONNECTIONS + 1} to be closed (HTTP_MAX_CONNECTIONS=${MAX_CONNECTIONS})` });
    expect(extra.received).toBe('');

    // control: the connections within the limit are still open and served
    for (const [i, raw] of held.entries()) await ask(raw, `held connection ${i + 1} after the refusal`);
    expect(held.filter((raw) => raw.closed)).toEqual([]);

    // a freed place serves a new connection
    held.pop()?.socket.destroy();
    await waitUntil(async () => (await connectionsOf(limitedApp)) < MAX_CONNECTIONS, { timeoutMs: 15_000, message: 'the server to count the closed connection out' });
    const next = await openRaw(port);
    await ask(next, 'the connection opened after one was closed');
    for (const raw of [...held, next]) raw.socket.destroy();
  });
});
