import { waitUntil } from '@failsoft/testing';
import type { ChaosStatus, ChaosTarget } from '../src/app/chaos/chaos-target';
import { uncertainLikes } from '../src/app/load/ledger';
import { LoadGenerator } from '../src/app/load/load-generator';
import type { ReadBackResult } from '../src/app/load/read-back';
import { jsonLine } from '../src/app/scenario/report';
import { runScenario, type ScenarioResult } from '../src/app/scenario/runner';
import type { ScenarioDefinition } from '../src/app/scenario/scenario';
import { FaultyApi, type Faults, type PlantedLoss, type UncertainKey } from './faulty-api';

/**
 * Negative tests of the lost-write checker: the real LoadGenerator, readBack and runScenario
 * against a real HTTP API that loses writes after acknowledging them (test/faulty-api.ts). The fake
 * keeps its own record of every planted loss; each must come out of the checker as lost (or, when
 * no read answers cleanly, as unverified), never as 0. A correct fake is the control: nothing lost.
 */

jest.setTimeout(60_000);

let api: FaultyApi;
beforeEach(async () => (api = await FaultyApi.start()));
afterEach(async () => api.stop());

const keyOf = (w: { kind: string; user: string; postId: string }): string => `${w.kind} ${w.user} ${w.postId}`;

/** A fast load (writes only as fast as the fake answers; no per-user budget) until `enough` holds, then stop. */
async function loadUntil(enough: () => boolean, what: string): Promise<LoadGenerator> {
  const load = await LoadGenerator.prepare({ url: api.url, rate: 150, mix: { feed: 0.1, likes: 0.6, create: 0.3 }, writesPerUserPerSecond: Infinity, likePosts: 4, timeoutMs: 5000 });
  load.start();
  try {
    await waitUntil(enough, { timeoutMs: 30_000, intervalMs: 20, message: what });
  } finally {
    await load.stop();
  }
  return load;
}

/** Loads with `faults` on until the fake has planted at least `n` losses of `kind` (still standing), then reads back. */
async function plantAndReadBack(faults: Partial<Faults>, kind: PlantedLoss['kind'], n = 2): Promise<{ planted: PlantedLoss[]; result: ReadBackResult; load: LoadGenerator }> {
  Object.assign(api.faults, faults);
  const load = await loadUntil(() => api.plantedLosses().filter((l) => l.kind === kind).length >= n, `${n} planted ${kind} losses`);
  const planted = api.plantedLosses();
  const result = await load.readBack({ windowMs: 1000, intervalMs: 50 });
  return { planted, result, load };
}

describe('the lost-write checker against an API that loses acknowledged writes', () => {
  it('control: a correct API loses nothing and leaves nothing unverified', async () => {
    const load = await loadUntil(() => load0() >= 40, '40 acknowledged writes');
    function load0(): number {
      return api.count('POST /api/posts') + api.count('POST /api/posts/:id/likes') + api.count('DELETE /api/posts/:id/likes');
    }
    const result = await load.readBack({ windowMs: 1000, intervalMs: 50 });
    expect(api.plantedLosses()).toEqual([]);
    expect({ lost: result.lost, unverified: result.unverified }).toEqual({ lost: [], unverified: [] });
    expect(result.uploads + result.likeKeys).toBeGreaterThan(0);
    expect(result.requests.total).toBeGreaterThanOrEqual(result.uploads * 2 + result.likeKeys);
  });

  it('a like acknowledged and dropped is reported lost', async () => {
    const { planted, result } = await plantAndReadBack({ dropLikes: true }, 'like');
    expect(planted.every((l) => l.kind === 'like' && l.how === 'dropped')).toBe(true);
    expect(result.lost.map(keyOf).sort()).toEqual(planted.map(keyOf).sort());
    for (const lost of result.lost) expect(lost).toMatchObject({ seen: 'likedByViewer false', history: expect.stringMatching(/like 200$/) });
    expect(result.unverified).toEqual([]);
  });

  it('an unlike acknowledged and undone (the like comes back) is reported lost', async () => {
    const { planted, result } = await plantAndReadBack({ resurrectUnlikes: true }, 'unlike');
    expect(planted.every((l) => l.kind === 'unlike' && l.how === 'resurrected')).toBe(true);
    expect(result.lost.map(keyOf).sort()).toEqual(planted.map(keyOf).sort());
    for (const lost of result.lost) expect(lost.seen).toBe('likedByViewer true');
  });

  it('an upload acknowledged and dropped is reported lost', async () => {
    const { planted, result } = await plantAndReadBack({ dropUploads: true }, 'upload');
    expect(result.lost.map(keyOf).sort()).toEqual(planted.map(keyOf).sort());
    for (const lost of result.lost) expect(lost.seen).toBe('GET /api/posts/:id 404');
  });

  it('an upload stored with one byte of its image flipped is reported lost', async () => {
    const { planted, result } = await plantAndReadBack({ corruptImages: true }, 'upload');
    expect(planted.every((l) => l.how === 'corrupted')).toBe(true);
    expect(result.lost.map(keyOf).sort()).toEqual(planted.map(keyOf).sort());
    for (const lost of result.lost) expect(lost.seen).toMatch(/^image (does not decode|pixels differ) \(\d+ bytes\)$/);
  });

  it.each(['degraded', '5xx'] as const)('a read-back answered %s throughout leaves every write unverified, never kept', async (reads) => {
    // losses planted, then the read-back gets no clean answer at all
    const { planted, load } = await plantAndReadBack({ dropLikes: true, dropUploads: true }, 'upload');
    api.faults.reads = reads;
    const result = await load.readBack({ windowMs: 1500, intervalMs: 50 });
    const acknowledgedUploads = load.ledger.uploads.length;
    expect(planted.length).toBeGreaterThan(0);
    expect(result.lost).toEqual([]);
    expect(result.unverified.length).toBe(acknowledgedUploads + result.likeKeys);
    expect(result.unverified.map(keyOf)).toEqual(expect.arrayContaining(planted.map(keyOf)));
    // it kept re-reading until the window ended, and counted its own requests apart
    expect(result.rounds).toBeGreaterThanOrEqual(2);
    expect(result.requests.noVerdict).toBeGreaterThanOrEqual(result.unverified.length * 2);
  });

  it('a platform that degrades again mid read-back cannot turn a seen loss into "unverified"', async () => {
    const { planted, load } = await plantAndReadBack({ dropLikes: true }, 'like');
    api.faults.reads = 'clean-once-then-5xx';
    const result = await load.readBack({ windowMs: 1500, intervalMs: 50 });
    expect(result.lost.map(keyOf).sort()).toEqual(planted.map(keyOf).sort());
    for (const lost of result.lost) expect(lost.seen).toMatch(/^likedByViewer false; later reads: GET \/api\/posts\/:id HTTP 503 FEED_UNAVAILABLE$/);
    expect(result.rounds).toBeGreaterThanOrEqual(2);
  });
});

const sortedKeys = (list: ReadonlyArray<{ kind: string; user: string; postId: string }>): string[] => list.map(keyOf).sort();

describe('uncertain like states (the acknowledgement of a like/unlike was ambiguous)', () => {
  /** Loads while every like/unlike is applied but answered 503, until `n` keys are uncertain; the ledger must agree with the fake. */
  async function plantUncertain(n = 2): Promise<{ load: LoadGenerator; uncertain: UncertainKey[] }> {
    api.faults.likeWrites = 'ambiguous';
    const load = await loadUntil(() => api.uncertainKeys().length >= n, `${n} like states left uncertain`);
    const uncertain = api.uncertainKeys();
    expect(sortedKeys(uncertainLikes(load.ledger.likeOps).map((u) => ({ kind: u.like ? 'like' : 'unlike', user: u.user, postId: u.postId })))).toEqual(sortedKeys(uncertain));
    return { load, uncertain };
  }

  it('control: once likes answer again, repeating the last op settles every uncertain state, and nothing is unverified', async () => {
    const { load, uncertain } = await plantUncertain();
    api.faults.likeWrites = 'clean';
    const result = await load.readBack({ windowMs: 1000, intervalMs: 50 });
    expect({ settled: result.settledLikeKeys, uncertain: result.uncertainLikeKeys, lost: result.lost, unverified: result.unverified }).toEqual({ settled: uncertain.length, uncertain: 0, lost: [], unverified: [] });
    // the settled keys were then read back like any certain one
    expect(result.likeKeys).toBeGreaterThanOrEqual(uncertain.length);
    expect(api.uncertainKeys()).toEqual([]);
  });

  it('one whose repeats are never acknowledged within the window is counted unverified (not kept, not lost)', async () => {
    const { load, uncertain } = await plantUncertain();
    api.faults.likeWrites = '5xx';
    const result = await load.readBack({ windowMs: 1000, intervalMs: 50 });
    expect({ settled: result.settledLikeKeys, uncertain: result.uncertainLikeKeys, lost: result.lost }).toEqual({ settled: 0, uncertain: uncertain.length, lost: [] });
    // no like was ever acknowledged: the uncertain keys are all the like states, and exactly the unverified writes
    expect(result.likeKeys).toBe(0);
    expect(sortedKeys(result.unverified)).toEqual(sortedKeys(uncertain));
    for (const u of result.unverified) expect(u.seen).toBe(`${u.kind} not acknowledged: HTTP 503 LIKES_UNAVAILABLE`);
    // it kept repeating until the window ended, counting each unanswered repeat as no verdict
    expect(result.requests.causes).toContainEqual({ cause: 'HTTP 503 LIKES_UNAVAILABLE', count: expect.any(Number) });
    expect(result.requests.noVerdict).toBeGreaterThanOrEqual(uncertain.length * 2);
  });
});

describe('the verification window starts once the platform is healthy (readBack waitHealthy)', () => {
  const windowMs = 1000;

  /**
   * A correct load, then an outage (every read degraded) that lasts three windows; at its end the
   * platform recovers, though its first answer for each write is still degraded. With `gated`, the
   * read-back's waitHealthy resolves at the recovery; without, it starts at once (and its window
   * passes during the outage).
   */
  async function outageThenReadBack(gated: boolean): Promise<{ result: ReadBackResult; load: LoadGenerator; readsDuringOutage: number }> {
    const load = await loadUntil(() => api.count('POST /api/posts') >= 5 && api.count('POST /api/posts/:id/likes') >= 5, '5 uploads and 5 likes');
    api.faults.reads = 'degraded';
    const outageStart = Date.now();
    const readsBefore = api.count('GET /api/posts/:id');
    let readsDuringOutage = 0;
    const recovery = (async () => {
      // the outage lasts longer than a window: a condition on the clock, not a sleep before an assertion
      await waitUntil(() => Date.now() - outageStart > 3 * windowMs, { timeoutMs: 10 * windowMs, intervalMs: 20, message: 'the outage to outlast three windows' });
      readsDuringOutage = api.count('GET /api/posts/:id') - readsBefore;
      api.faults.reads = 'degraded-once-then-clean';
    })();
    const result = await load.readBack({ windowMs, intervalMs: 50, ...(gated ? { waitHealthy: () => recovery } : {}) });
    await recovery;
    return { result, load, readsDuringOutage };
  }

  it('an outage longer than the window, waited out by waitHealthy, leaves every write verified', async () => {
    const { result, load, readsDuringOutage } = await outageThenReadBack(true);
    expect(readsDuringOutage).toBe(0);
    expect({ lost: result.lost, unverified: result.unverified }).toEqual({ lost: [], unverified: [] });
    expect(result.uploads).toBe(load.ledger.uploads.length);
    // the first round after recovery was degraded (no verdict) and was re-read within the window
    expect(result.rounds).toBeGreaterThanOrEqual(2);
    expect(result.requests.noVerdict).toBeGreaterThanOrEqual(result.uploads + result.likeKeys);
  });

  it('control: without waitHealthy the same outage consumes the window and every write is unverified', async () => {
    const { result, readsDuringOutage } = await outageThenReadBack(false);
    expect(readsDuringOutage).toBeGreaterThan(0);
    expect(result.lost).toEqual([]);
    expect(result.unverified.length).toBe(result.uploads + result.likeKeys);
    expect(result.unverified.length).toBeGreaterThan(0);
  });
});

/** A chaos target for the fake: one gateway (the fake itself), always healthy; chaos actions are no-ops. */
function fakeTarget(url: string): ChaosTarget {
  const status: ChaosStatus = {
    kind: 'local',
    url,
    instances: [{ id: 'gateway-1', service: 'gateway', state: 'running', pid: null, zone: null, url, restarts: 0, ready: true }],
    redis: { master: null, nodes: [] },
    trendingLeader: null,
    breakers: {},
    faults: [],
  };
  const nothing = async (): Promise<void> => undefined;
  return {
    kind: 'local',
    url,
    status: async () => status,
    instancesOf: async () => [],
    kill: nothing,
    revive: nothing,
    redisFailover: async () => '127.0.0.1:1',
    redisKillMaster: async () => '127.0.0.1:1',
    redisPauseMaster: async () => '127.0.0.1:1',
    redisResume: nothing,
    redisKillNode: async () => 'redis-2 127.0.0.1:7002',
    redisReviveNode: async () => 'redis-2 127.0.0.1:7002',
    killSentinel: nothing,
    reviveSentinel: nothing,
    partition: async () => [],
    heal: nothing,
    addFault: async () => {
      throw new Error('no fault rules on the fake');
    },
    removeFault: nothing,
    listFaults: async () => [],
    waitForHealthy: nothing,
  };
}

/** A scenario whose fault turns `faults` on until enough writes went through it, and `after` on for the read-back. */
function faultyScenario(faults: Partial<Faults>, after: Partial<Faults> = {}): ScenarioDefinition {
  return {
    name: 'faulty-api',
    title: 'the fake API loses acknowledged writes',
    faultMs: { full: 400, short: 400 },
    async fault(ctx) {
      const uploads = api.count('POST /api/posts');
      const likes = api.count('POST /api/posts/:id/likes');
      const unlikes = api.count('DELETE /api/posts/:id/likes');
      Object.assign(api.faults, faults);
      ctx.mark('faults on');
      // writes of every kind under the fault, counted (not timed)
      await waitUntil(() => api.count('POST /api/posts') >= uploads + 3 && api.count('POST /api/posts/:id/likes') >= likes + 3 && api.count('DELETE /api/posts/:id/likes') >= unlikes + 3, {
        timeoutMs: 20_000,
        intervalMs: 20,
        message: '3 uploads, 3 likes and 3 unlikes under the fault',
      });
      Object.assign(api.faults, { dropLikes: false, resurrectUnlikes: false, dropUploads: false, corruptImages: false }, after);
      ctx.mark('faults off');
    },
  };
}

async function scenario(definition: ScenarioDefinition): Promise<ScenarioResult> {
  return runScenario(definition, {
    target: fakeTarget(api.url),
    short: true,
    rate: 120,
    timing: { warmMs: 200, tailMs: 100 },
    log: () => undefined,
    writesPerUserPerSecond: Infinity,
    recoveryTimeoutMs: 5000,
    windowMs: 800,
  });
}

describe('runScenario judges what the checker finds', () => {
  it('control: a correct fake meets the target with 0 lost and 0 unverified', async () => {
    const result = await scenario(faultyScenario({}));
    expect({ met: result.met, misses: result.misses, lost: result.lostAcknowledgedWrites, unverified: result.unverifiedWrites }).toEqual({ met: true, misses: [], lost: 0, unverified: 0 });
    expect(result.acknowledgedWrites).toBeGreaterThan(10);
    expect(result.readBack?.requests.total).toBeGreaterThan(0);
  });

  it('dropped likes and uploads and resurrected unlikes miss the target, counted in the JSON', async () => {
    const result = await scenario(faultyScenario({ dropUploads: true, dropLikes: true, resurrectUnlikes: true }));
    const planted = api.plantedLosses();
    expect(planted.length).toBeGreaterThan(0);
    expect(result.lostAcknowledgedWrites).toBe(planted.length);
    expect(result.met).toBe(false);
    expect(result.misses).toContain(`${planted.length} acknowledged writes lost`);
    const json = JSON.parse(jsonLine([result])) as { scenarios: Array<{ lostAcknowledgedWrites: number; unverifiedWrites: number; met: boolean }> };
    expect(json.scenarios[0]).toMatchObject({ lostAcknowledgedWrites: planted.length, unverifiedWrites: 0, met: false });
  });

  it('a read-back that is degraded throughout misses the target as unverified, and its requests stay out of the availability', async () => {
    const result = await scenario(faultyScenario({ dropLikes: true }, { reads: 'degraded' }));
    expect(result.lostAcknowledgedWrites).toBe(0);
    expect(result.unverifiedWrites).toBeGreaterThan(0);
    expect(result.unverifiedWrites).toBe(result.unverified.length);
    expect(result.met).toBe(false);
    expect(result.misses).toContain(`${result.unverifiedWrites} acknowledged writes unverified (no clean read-back within the verification window)`);
    // the load's own requests were all answered (availability 100%); the read-back's failed ones are reported apart
    expect(result.availability).toBe(1);
    expect(result.readBack?.requests.noVerdict).toBeGreaterThanOrEqual(result.unverifiedWrites);
    const json = JSON.parse(jsonLine([result])) as { scenarios: Array<Record<string, unknown>> };
    expect(json.scenarios[0]).toMatchObject({ lostAcknowledgedWrites: 0, unverifiedWrites: result.unverifiedWrites, met: false, readBack: { noVerdict: expect.any(Number) } });
  });
});
