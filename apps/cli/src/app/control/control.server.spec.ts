import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';
import { validateFaultRule } from '@failsoft/sidecar';
import { ChaosError } from '../chaos/chaos.error';
import type { ChaosSignal, ChaosStatus, ChaosTarget } from '../chaos/chaos-target';
import { startControlServer, type ControlServer } from './control.server';

/** An in-memory platform: what the HTTP layer is tested against (the real one runs in chaos-e2e). */
function memoryTarget(): ChaosTarget & { calls: string[]; rules: Map<string, FaultRule>; failNext?: Error } {
  const calls: string[] = [];
  const rules = new Map<string, FaultRule>();
  const ids: Record<string, string[]> = { likes: ['likes-1', 'likes-2'], feed: ['feed-1', 'feed-2'] };
  const known = (id: string): void => {
    if (!Object.values(ids).flat().includes(id)) throw new ChaosError('NOT_FOUND', `no instance ${JSON.stringify(id)}`);
  };
  const target = {
    kind: 'local' as const,
    url: 'http://127.0.0.1:1',
    calls,
    rules,
    failNext: undefined as Error | undefined,
    async status(): Promise<ChaosStatus> {
      calls.push('status');
      if (target.failNext) {
        const error = target.failNext;
        target.failNext = undefined;
        throw error;
      }
      return {
        kind: 'local',
        url: 'http://127.0.0.1:1',
        instances: Object.entries(ids).flatMap(([service, list]) => list.map((id) => ({ id, service, state: 'running', pid: 1, zone: 'zone-a', url: null, restarts: 0, ready: true }))),
        redis: { master: '127.0.0.1:7000', nodes: [] },
        trendingLeader: 'feed-1',
        breakers: {},
        faults: [...rules.values()],
      };
    },
    async instancesOf(service: string) {
      if (!ids[service]) throw new ChaosError('NOT_FOUND', `no service ${JSON.stringify(service)}`);
      return ids[service];
    },
    async kill(id: string, signal: ChaosSignal) {
      known(id);
      calls.push(`kill ${id} ${signal}`);
    },
    async revive(id: string) {
      known(id);
      calls.push(`revive ${id}`);
    },
    async redisFailover() {
      calls.push('failover');
      return '127.0.0.1:7001';
    },
    async redisKillMaster() {
      calls.push('kill-master');
      return '127.0.0.1:7000';
    },
    async redisPauseMaster() {
      calls.push('pause-master');
      return '127.0.0.1:7000';
    },
    async redisResume() {
      calls.push('resume');
    },
    async redisKillNode(node: string, options: { hold: boolean; replicaOnly: boolean }) {
      if (node !== 'redis-2') throw new ChaosError('NOT_FOUND', `no Redis data node ${JSON.stringify(node)}`);
      calls.push(`kill-node ${node} hold=${options.hold} replicaOnly=${options.replicaOnly}`);
      return `${node} 127.0.0.1:7002`;
    },
    async redisReviveNode(node: string) {
      calls.push(`revive-node ${node}`);
      return `${node} 127.0.0.1:7002`;
    },
    async killSentinel(index: number) {
      if (index > 2) throw new ChaosError('NOT_FOUND', `no sentinel ${index}`);
      calls.push(`kill-sentinel ${index}`);
    },
    async reviveSentinel(index: number) {
      calls.push(`revive-sentinel ${index}`);
    },
    async partition(groups: string[][]) {
      const unknown = groups.flat().find((n) => !/^(redis|sentinel)-\d$|^clients$/.test(n));
      if (unknown) throw new ChaosError('BAD_REQUEST', `unknown node ${JSON.stringify(unknown)} in the partition`);
      calls.push(`partition ${groups.map((g) => g.join(',')).join(' ')}`);
      return ['redis-1|sentinel-1'];
    },
    async heal() {
      calls.push('heal');
    },
    async addFault(input: FaultRuleInput) {
      const rule = validateFaultRule(input);
      rules.set(rule.id, rule);
      calls.push(`add-fault ${rule.id}`);
      return rule;
    },
    async removeFault(id: string) {
      if (!rules.delete(id)) throw new ChaosError('NOT_FOUND', `no fault rule ${JSON.stringify(id)}`);
      calls.push(`remove-fault ${id}`);
    },
    async listFaults() {
      return [...rules.values()];
    },
    async waitForHealthy(timeoutMs: number) {
      calls.push(`wait-healthy ${timeoutMs}`);
    },
  };
  return target;
}

describe('control server (the ChaosTarget over loopback HTTP)', () => {
  let server: ControlServer;
  let target: ReturnType<typeof memoryTarget>;
  const logs: string[] = [];

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
  const call = async (method: string, path: string, body?: string, token: string | null = server.token): Promise<{ status: number; json: any; headers: Headers }> => {
    const res = await fetch(`${server.url}${path}`, { method, body, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.status, json: await res.json(), headers: res.headers };
  };

  beforeEach(async () => {
    target = memoryTarget();
    server = await startControlServer({ target, log: (line) => logs.push(line) });
  });

  afterEach(async () => {
    await server.close();
  });

  it('listens on loopback with a random token', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    const other = await startControlServer({ target });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  it('refuses requests without the right bearer token (401) and does nothing', async () => {
    for (const token of [null, 'wrong', `${server.token}x`, '']) {
      const res = await call('POST', '/v1/instances/likes-1/kill', '{}', token);
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(target.calls).toEqual([]);
  });

  it('GET /v1/status returns the ChaosStatus', async () => {
    const res = await call('GET', '/v1/status');
    expect(res.status).toBe(200);
    expect(res.json.trendingLeader).toBe('feed-1');
    expect(res.json.instances).toHaveLength(4);
  });

  it('kills and revives instances and services', async () => {
    expect((await call('POST', '/v1/instances/likes-1/kill', '{"signal":"STOP"}')).json).toEqual({ ok: true, id: 'likes-1', signal: 'STOP' });
    expect((await call('POST', '/v1/instances/likes-2/kill')).json).toEqual({ ok: true, id: 'likes-2', signal: 'KILL' });
    expect((await call('POST', '/v1/instances/likes-1/revive')).json).toEqual({ ok: true, id: 'likes-1' });
    expect((await call('POST', '/v1/services/feed/kill', '{"signal":"TERM"}')).json).toEqual({ ok: true, service: 'feed', ids: ['feed-1', 'feed-2'], signal: 'TERM' });
    expect((await call('POST', '/v1/services/feed/revive')).status).toBe(200);
    expect(target.calls).toEqual(['kill likes-1 STOP', 'kill likes-2 KILL', 'revive likes-1', 'kill feed-1 TERM', 'kill feed-2 TERM', 'revive feed-1', 'revive feed-2']);
    expect(logs).toContain('[control] POST /v1/instances/likes-1/kill: ok');
  });

  it('Redis and sentinel routes', async () => {
    expect((await call('POST', '/v1/redis/failover')).json).toEqual({ ok: true, master: '127.0.0.1:7001' });
    expect((await call('POST', '/v1/redis/kill-master')).json).toEqual({ ok: true, killed: '127.0.0.1:7000' });
    expect((await call('POST', '/v1/redis/pause-master')).json).toEqual({ ok: true, paused: '127.0.0.1:7000' });
    expect((await call('POST', '/v1/redis/resume')).json).toEqual({ ok: true });
    expect((await call('POST', '/v1/sentinels/1/kill')).json).toEqual({ ok: true, index: 1 });
    expect((await call('POST', '/v1/sentinels/1/revive')).json).toEqual({ ok: true, index: 1 });
    expect((await call('POST', '/v1/sentinels/9/kill')).status).toBe(404);
    expect((await call('POST', '/v1/sentinels/one/kill')).status).toBe(400);
    expect((await call('POST', '/v1/redis/nodes/redis-2/kill', '{"hold":true}')).json).toEqual({ ok: true, node: 'redis-2 127.0.0.1:7002' });
    expect((await call('POST', '/v1/redis/nodes/redis-2/kill', '{"replicaOnly":true}')).json).toEqual({ ok: true, node: 'redis-2 127.0.0.1:7002' });
    expect((await call('POST', '/v1/redis/nodes/redis-2/revive')).json).toEqual({ ok: true, node: 'redis-2 127.0.0.1:7002' });
    expect((await call('POST', '/v1/redis/nodes/redis-9/kill', '{}')).status).toBe(404);
    expect(target.calls).toEqual([
      'failover',
      'kill-master',
      'pause-master',
      'resume',
      'kill-sentinel 1',
      'revive-sentinel 1',
      'kill-node redis-2 hold=true replicaOnly=false',
      'kill-node redis-2 hold=false replicaOnly=true',
      'revive-node redis-2',
    ]);
  });

  it('partition and heal routes; a bad body or an unknown node is a 400 that changes nothing', async () => {
    expect((await call('POST', '/v1/partitions', JSON.stringify({ groups: [['redis-1'], ['sentinel-1']] }))).json).toEqual({ ok: true, cut: ['redis-1|sentinel-1'] });
    const unknown = await call('POST', '/v1/partitions', JSON.stringify({ groups: [['redis-1'], ['zz']] }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(/unknown node "zz"/);
    const bad = await call('POST', '/v1/partitions', JSON.stringify({ groups: 'redis-1' }));
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/groups must be an array of arrays of node names/);
    expect((await call('POST', '/v1/partitions', JSON.stringify({ groups: [], extra: 1 }))).status).toBe(400);
    expect((await call('DELETE', '/v1/partitions')).json).toEqual({ ok: true });
    expect(target.calls).toEqual(['partition redis-1 sentinel-1', 'heal']);
  });

  it('adds (with a generated id), lists and removes fault rules', async () => {
    const added = await call('POST', '/v1/faults', JSON.stringify({ service: 'likes', method: 'Like', abortPercent: 100 }));
    expect(added.status).toBe(200);
    expect(added.json).toMatchObject({ service: 'likes', method: 'Like', abortPercent: 100, abortCode: 14 });
    expect(added.json.id).toMatch(/^likes-Like-[0-9a-f]{6}$/);
    await call('POST', '/v1/faults', JSON.stringify({ id: 'slow-feed', service: 'feed', delayMs: 500 }));
    expect((await call('GET', '/v1/faults')).json.map((r: FaultRule) => r.id).sort()).toEqual([added.json.id, 'slow-feed'].sort());
    expect((await call('DELETE', '/v1/faults/slow-feed')).json).toEqual({ ok: true, id: 'slow-feed' });
    expect((await call('DELETE', '/v1/faults/slow-feed')).status).toBe(404);
    expect((await call('DELETE', '/v1/faults')).json).toEqual({ ok: true, removed: [added.json.id] });
    expect((await call('GET', '/v1/faults')).json).toEqual([]);
  });

  it('bad input gets a 4xx with a JSON error, changes nothing and the server keeps serving', async () => {
    const cases: Array<[string, string, string | undefined, number, RegExp]> = [
      ['POST', '/v1/instances/likes-1/kill', '{"signal":"HUP"}', 400, /signal must be one of KILL, TERM, STOP; got "HUP"/],
      ['POST', '/v1/instances/likes-1/kill', '{not json', 400, /not valid JSON/],
      ['POST', '/v1/instances/likes-1/kill', '[1,2]', 400, /must be a JSON object/],
      ['POST', '/v1/instances/likes-1/kill', '{"signal":"KILL","force":true}', 400, /unknown field "force"/],
      ['POST', '/v1/instances/nope-1/kill', '{}', 404, /no instance "nope-1"/],
      ['POST', '/v1/services/nope/kill', '{}', 404, /no service "nope"/],
      ['POST', '/v1/faults', '{"service":"likes","abortPercent":150}', 400, /abortPercent must be a number from 0 to 100; got 150/],
      ['POST', '/v1/faults', '{"service":"likes"}', 400, /injects nothing/],
      ['POST', '/v1/wait-healthy', '{"timeoutMs":-1}', 400, /timeoutMs must be an integer/],
      ['POST', '/v1/redis/nodes/redis-2/kill', '{"hold":"yes"}', 400, /hold must be true or false; got "yes"/],
      ['POST', '/v1/redis/nodes/redis-2/kill', '{"forever":true}', 400, /unknown field "forever"/],
      ['GET', '/v1/nothing', undefined, 404, /no route GET \/v1\/nothing/],
      ['DELETE', '/v1/status', undefined, 405, /takes GET, not DELETE/],
      ['POST', '/v1/instances/%E0%A4%A/kill', '{}', 400, /percent-encoding/],
      ['POST', '/v1/instances/likes-1/kill', JSON.stringify({ signal: 'x'.repeat(70_000) }), 400, /larger than/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await call(method, path, body);
      expect({ path, body: body?.slice(0, 40), status: res.status }).toEqual({ path, body: body?.slice(0, 40), status });
      expect(res.json.error.message).toMatch(message);
      expect(typeof res.json.error.code).toBe('string');
    }
    expect(target.calls).toEqual([]);
    expect(target.rules.size).toBe(0);
    expect((await call('GET', '/v1/status')).status).toBe(200);
  });

  it('a failure inside the platform is a 500 with its message; a ChaosError keeps its status', async () => {
    target.failNext = new Error('redis exploded');
    const res = await call('GET', '/v1/status');
    expect(res.status).toBe(500);
    expect(res.json.error).toEqual({ code: 'INTERNAL', message: 'redis exploded' });
    target.failNext = new ChaosError('CONFLICT', 'already paused');
    expect((await call('GET', '/v1/status')).status).toBe(409);
  });

  it('close() stops listening and is idempotent', async () => {
    const url = server.url;
    await server.close();
    await server.close();
    await expect(fetch(`${url}/v1/status`)).rejects.toThrow();
  });
});
