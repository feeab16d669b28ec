import { status } from '@grpc/grpc-js';
import { EchoService, loadEcho, type EchoReply, type RelayReply } from '../../../test/fixtures';
import { isSidecarError } from '../core/sidecar.error';
import { StaticResolver } from '../discovery/static.resolver';
import { FaultRules } from '../faults/fault-rules';
import { GrpcError } from '../server/grpc-error';
import { SidecarServer } from '../server/sidecar.server';
import { createLogger } from '../telemetry/logger';
import { SidecarMetrics } from '../telemetry/metrics';
import { ServiceClient, type ServiceClientOptions } from './service-client';

jest.setTimeout(30_000);

const token = 'client-spec-token-0123456789';
const auth = { token };
const quiet = createLogger({ service: 'spec', instance: 'spec', level: 'error' });

interface Instance {
  id: string;
  server: SidecarServer;
  echo: EchoService;
  address: string;
  /** Served Echo calls (handler runs). */
  served: () => number;
  /** When set, every Echo fails with UNAVAILABLE (a broken instance). */
  failing: { on: boolean };
  faults: FaultRules;
}

const running: Instance[] = [];
const clients: ServiceClient[] = [];

async function startInstance(id: string, options: { delayMs?: number; service?: string; faultRandom?: () => number; hold?: Promise<unknown> } = {}): Promise<Instance> {
  const echo = new EchoService({ instanceId: id, baseDelayMs: options.delayMs ?? 0, relayAuth: auth, relayCaller: options.service ?? 'echo' });
  const failing = { on: false };
  const faults = new FaultRules({ random: options.faultRandom });
  const server = new SidecarServer({ service: options.service ?? 'echo', instanceId: id, auth, logger: quiet, faults });
  let served = 0;
  server.addService(loadEcho().definition, {
    ...echo.handlers,
    Echo: async (request: unknown, ctx: unknown) => {
      served++;
      if (options.hold) await options.hold; // a hung instance: answers only once the test lets it
      if (failing.on) throw new GrpcError(status.UNAVAILABLE, `${id} is broken`);
      return (echo.handlers['Echo'] as (r: unknown, c: unknown) => Promise<EchoReply>)(request, ctx);
    },
  });
  const { port } = await server.start();
  const instance = { id, server, echo, address: `127.0.0.1:${port}`, served: () => served, failing, faults };
  running.push(instance);
  return instance;
}

function client(instances: Instance[], options: Partial<ServiceClientOptions> = {}): ServiceClient {
  const resolver = new StaticResolver({ service: 'echo', addresses: instances.map((i) => i.address) });
  const c = new ServiceClient({
    service: 'echo',
    definition: loadEcho().definition,
    resolver,
    caller: { service: 'spec', instance: 'spec-1' },
    auth,
    idempotentMethods: ['Echo', 'Relay'],
    ...options,
  });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.shutdown();
  await Promise.all(running.splice(0).map((i) => i.server.shutdown()));
});

/** Polls `predicate` every 10 ms until it holds; rejects naming `what` after `timeoutMs` (a bound, never a speed check). */
async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !predicate(); ) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function runConcurrently(total: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<{ ok: number; failed: unknown[] }> {
  let next = 0;
  let ok = 0;
  const failed: unknown[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        try {
          await fn(i);
          ok++;
        } catch (error) {
          failed.push(error);
        }
      }
    }),
  );
  return { ok, failed };
}

describe('ServiceClient', () => {
  it('calls through the whole stack and spreads calls over every instance', async () => {
    const instances = await Promise.all(['a', 'b', 'c'].map((id) => startInstance(id)));
    const echo = client(instances);
    const seen = new Set<string>();
    const result = await runConcurrently(90, 6, async (i) => {
      const reply = await echo.call<unknown, EchoReply>('Echo', { message: `m${i}` });
      expect(reply.message).toBe(`m${i}`);
      expect(reply.caller).toBe('spec');
      seen.add(reply.instanceId);
    });
    expect(result.failed).toEqual([]);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });

  it('sends clearly less traffic to one slow instance of three (p2c least-outstanding)', async () => {
    // the slow instance holds every call until all 600 reached a handler: its outstanding calls only
    // grow, so p2c picks it only while a fast one has as many in flight (the order of events, not timing)
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const instances = [await startInstance('fast-1'), await startInstance('fast-2'), await startInstance('slow', { hold: held })];
    const echo = client(instances, { timeoutMs: 60_000 }); // held calls wait for the release, not for a deadline
    const concurrency = 20;
    const running = runConcurrently(600, concurrency, () => echo.call('Echo', { message: 'x' }));
    await until(() => instances.reduce((sum, i) => sum + i.served(), 0) === 600, 'every call to reach a handler', 30_000).finally(release);
    const result = await running;
    expect(result.failed).toEqual([]);
    const [fast1, fast2, slow] = instances.map((i) => i.served());
    expect(fast1 + fast2 + slow).toBe(600);
    // it was in rotation, but never held more calls than a fast instance could have in flight
    expect(slow).toBeGreaterThanOrEqual(1);
    expect(slow).toBeLessThanOrEqual(concurrency / 2 + 1);
  });

  it('retries a failed call on another instance and never twice on the same one while others exist', async () => {
    const instances = [await startInstance('broken'), await startInstance('good')];
    instances[0].failing.on = true;
    const echo = client(instances, { instanceBreaker: { volumeThreshold: 1000 } });
    const result = await runConcurrently(40, 4, async () => {
      const reply = await echo.call<unknown, EchoReply>('Echo', { message: 'x' });
      expect(reply.instanceId).toBe('good');
    });
    expect(result.failed).toEqual([]);
    expect(instances[0].served()).toBeGreaterThan(0); // it was tried...
    expect(instances[1].served()).toBe(40); // ...and every call ended on the good one
  });

  it('does not retry a non-idempotent call without an idempotency key, but does with one', async () => {
    const instances = [await startInstance('broken'), await startInstance('good')];
    instances[0].failing.on = true;
    const echo = client(instances, { idempotentMethods: [], serviceBreaker: false, instanceBreaker: { volumeThreshold: 1000 }, balancer: { kind: 'round-robin' } });
    const unkeyed = await runConcurrently(20, 1, () => echo.call('Echo', { message: 'x' }));
    expect(unkeyed.failed.length).toBeGreaterThan(0);
    expect(unkeyed.failed.every((e) => (e as { code?: number }).code === status.UNAVAILABLE)).toBe(true);
    const keyed = await runConcurrently(20, 1, (i) => echo.call<unknown, EchoReply>('Echo', { message: 'x' }, { idempotencyKey: `key-${i}` }));
    expect(keyed.failed).toEqual([]);
  });

  it('keeps attempts within the retry budget when every instance fails, opens the breaker, serves fallbacks, and closes after recovery', async () => {
    const instances = await Promise.all(['a', 'b', 'c'].map((id) => startInstance(id)));
    for (const i of instances) i.failing.on = true;
    const echo = client(instances, {
      retry: { maxAttempts: 3, budgetRatio: 0.2, minRetriesPerSecond: 1, initialDelayMs: 1, maxDelayMs: 2 },
      serviceBreaker: { volumeThreshold: 20, errorThresholdPercentage: 50, resetTimeoutMs: 2000 },
      instanceBreaker: { volumeThreshold: 1000 },
    });
    const calls = 200;
    let fallbacks = 0;
    let brokenCircuit = 0;
    const result = await runConcurrently(calls, 10, async () => {
      const reply = await echo.call<unknown, EchoReply | { message: string; instanceId: string }>('Echo', { message: 'x' }, {
        fallback: (error) => {
          fallbacks++;
          if (isSidecarError(error, 'BROKEN_CIRCUIT')) brokenCircuit++;
          return { message: 'fallback', instanceId: '' };
        },
      });
      expect(reply.message).toBe('fallback');
    });
    expect(result.failed).toEqual([]);
    expect(fallbacks).toBe(calls);
    const attempts = instances.reduce((sum, i) => sum + i.served(), 0);
    // the breaker rejected most calls without any attempt
    expect(brokenCircuit).toBeGreaterThan(calls / 2);
    expect(echo.snapshot().breaker).toBe('open');
    // no storm: attempts that reached servers <= original attempts + ratio * calls + minimum per second * window
    // calls the breaker let through each deposit 0.2 retries; the budget also allows 1 retry/s over its 10 s window
    const admitted = calls - brokenCircuit;
    expect(attempts).toBeLessThanOrEqual(admitted + Math.ceil(0.2 * admitted) + 1 * 10);

    // recovery: the instances heal; after resetTimeout a half-open probe closes the breaker
    for (const i of instances) i.failing.on = false;
    // wait for the state (the breaker half-opens once its reset timeout passed), not for the time
    await until(() => echo.snapshot().breaker === 'halfOpen', 'the service breaker to half-open (reset timeout 2000 ms)');
    const reply = await echo.call<unknown, EchoReply>('Echo', { message: 'probe' });
    expect(reply.message).toBe('probe');
    expect(echo.snapshot().breaker).toBe('closed');
    const after = await runConcurrently(30, 3, () => echo.call('Echo', { message: 'ok' }));
    expect(after.failed).toEqual([]);
  });

  it('ejects a failing instance (outlier detection) and restores it after it heals', async () => {
    const instances = await Promise.all(['a', 'b', 'c'].map((id) => startInstance(id)));
    instances[2].failing.on = true;
    // round-robin keeps offering the failing instance (p2c would already steer around it by latency)
    const echo = client(instances, { balancer: { kind: 'round-robin' }, instanceBreaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 3000 } });
    await runConcurrently(60, 3, () => echo.call('Echo', { message: 'x' }));
    const snapshot = echo.snapshot();
    expect(snapshot.instances.find((i) => i.address === instances[2].address)?.ejected).toBe(true);
    expect(snapshot.instances.filter((i) => i.ejected)).toHaveLength(1);
    const servedWhileEjected = instances[2].served();
    await runConcurrently(60, 3, () => echo.call('Echo', { message: 'x' }));
    expect(instances[2].served()).toBe(servedWhileEjected); // no traffic while ejected (reset timeout not reached)
    instances[2].failing.on = false;
    // after its reset timeout the breaker lets a probe through: wait for that state, not for the time
    await until(() => echo.snapshot().instances.find((i) => i.address === instances[2].address)?.breaker !== 'open', 'the ejected instance\'s breaker to leave open (reset timeout 3000 ms)');
    await runConcurrently(90, 3, () => echo.call('Echo', { message: 'x' }));
    expect(instances[2].served()).toBeGreaterThan(servedWhileEjected);
    expect(echo.snapshot().instances.every((i) => !i.ejected)).toBe(true);
  });

  it('propagates a shrinking deadline along A -> B -> C and refuses calls whose deadline passed', async () => {
    const c = await startInstance('C');
    const b = await startInstance('B');
    const a = await startInstance('A');
    const toA = client([a]);
    const reply = await toA.call<unknown, RelayReply>('Relay', { hops: [b.address, c.address], message: 'chain', delayMs: 30 }, { timeoutMs: 1500 });
    const [hopA, hopB, hopC] = reply.hops;
    expect(hopA.instanceId).toBe('A');
    expect(hopC.instanceId).toBe('C');
    expect(hopA.deadlineMs).toBeLessThanOrEqual(1500);
    expect(hopB.deadlineMs).toBeLessThan(hopA.deadlineMs);
    expect(hopC.deadlineMs).toBeLessThan(hopB.deadlineMs);
    expect(hopC.deadlineMs).toBeGreaterThan(0);
    // the whole chain shares one trace
    expect(hopC.traceparent.split('-')[1]).toBe(hopA.traceparent.split('-')[1]);

    // a chain whose budget runs out before the last hop: C's handler never runs
    const before = c.echo.calls.Relay;
    const late = await toA.call('Relay', { hops: [b.address, c.address], message: 'late', delayMs: 120 }, { timeoutMs: 200 }).catch((e: { code?: unknown }) => e);
    expect([status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED']).toContain((late as { code?: unknown }).code);
    expect(c.echo.calls.Relay).toBe(before);
  });

  it('turns ~50% injected aborts into successes through retries', async () => {
    // a 50% abort rule whose draws alternate per instance (abort, pass, abort ...) so the outcome does not depend on luck
    const alternating = () => {
      let n = 0;
      return () => (n++ % 2 === 0 ? 0.25 : 0.75);
    };
    const instances = await Promise.all(['a', 'b', 'c'].map((id) => startInstance(id, { faultRandom: alternating() })));
    for (const i of instances) i.faults.set({ id: 'half', service: 'echo', method: 'Echo', abortPercent: 50 });
    const echo = client(instances, {
      retry: { maxAttempts: 6, budgetRatio: 1, minRetriesPerSecond: 100, initialDelayMs: 1, maxDelayMs: 5 },
      serviceBreaker: false,
      instanceBreaker: { volumeThreshold: 100000 },
    });
    const reasons: string[] = [];
    echo.onGiveUp((e) => reasons.push(`${e.reason} after ${e.attempts}: ${(e.call.tried ?? []).join(',')}`));
    // one caller at a time, so each instance's draws alternate for real (concurrent calls would interleave them)
    const result = await runConcurrently(300, 1, () => echo.call('Echo', { message: 'x' }));
    expect(reasons).toEqual([]);
    expect(result.failed).toEqual([]);
    const aborted = instances.reduce((sum, i) => sum + i.server.snapshot().faults.aborted, 0);
    const served = instances.reduce((sum, i) => sum + i.served(), 0);
    expect(served).toBe(300);
    // about half of all attempts were aborted, and every one of them was retried into a success
    expect(aborted / (aborted + served)).toBeGreaterThan(0.4);
    expect(aborted / (aborted + served)).toBeLessThan(0.6);
  });

  it('records metrics for calls and retries', async () => {
    const instances = [await startInstance('broken'), await startInstance('good')];
    instances[0].failing.on = true;
    const metrics = new SidecarMetrics({ service: 'spec', instance: 'spec-1' });
    const echo = client(instances, { metrics, instanceBreaker: { volumeThreshold: 1000 }, balancer: { kind: 'round-robin' } });
    await runConcurrently(20, 2, () => echo.call('Echo', { message: 'x' }));
    const text = await metrics.metrics();
    expect(text).toMatch(/failsoft_client_calls_total\{[^}]*service="echo"[^}]*code="OK"[^}]*\} 20/);
    expect(text).toMatch(/failsoft_client_retries_total\{[^}]*service="echo"[^}]*\} [1-9]/);
    metrics.shutdown();
  });

  it('rejects bad options at construction, naming the value', async () => {
    const instances = [await startInstance('a')];
    expect(() => client(instances, { timeoutMs: -5 })).toThrow('client.timeoutMs must be a number from 1 to 600000; got -5');
    expect(() => client(instances, { idempotentMethods: 'Echo' as never })).toThrow(/client.idempotentMethods must be '\*' or an array of method names; got "Echo"/);
    expect(() => client(instances, { service: '' })).toThrow(/client.service must be a non-empty string; got ""/);
    expect(() => client(instances, { balancer: { kind: 'random' as never } })).toThrow(/balancer.kind must be one of .*; got "random"/);
    const echo = client(instances);
    await expect(echo.call('Nope', {})).rejects.toThrow(/echo has no method "Nope"; it has Echo, Relay, EchoStream/);
  });
});
