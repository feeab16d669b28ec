import { randomUUID } from 'node:crypto';
import { waitUntil } from '@failsoft/testing';
import { compose, containers, masterName, progress, redisCli, sentinelDiagnosis, waitForAllHealthy } from './support/compose';
import { createPostOnceWritable, describeResult, expectNoErrors, figure, fixture, load, moreRequests, USERS, type Fixture, type User } from './support/platform';

/**
 * Redis behind Sentinel in containers, by host name: the sentinels announce and resolve container
 * names, a killed master's role moves to another container, every app follows it, no acknowledged
 * write is lost, and the old master comes back as a replica.
 */

jest.setTimeout(360_000);

const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'];
const REDIS = ['redis-1', 'redis-2', 'redis-3'];
const APPS = ['upload-1', 'upload-2', 'likes-1', 'likes-2', 'feed-1', 'feed-2', 'gateway-1', 'gateway-2'];
let f: Fixture;

beforeAll(async () => {
  f = await fixture(2);
});

afterAll(async () => {
  await compose(['start', ...REDIS]);
  await waitForAllHealthy(180_000);
});

/** `SENTINEL <sub> failsoft` as a list of field maps (redis-cli --json). */
async function sentinelTable(sentinel: string, sub: 'replicas' | 'sentinels'): Promise<Array<Record<string, string>>> {
  return JSON.parse(await compose(['exec', '-T', sentinel, 'redis-cli', '-p', '26379', '--json', 'SENTINEL', sub, 'failsoft'])) as Array<Record<string, string>>;
}

/** Addresses (ip) of the clients connected to Redis container `service`. */
async function clientAddresses(service: string): Promise<string[]> {
  return (await redisCli(service, ['CLIENT', 'LIST'])).map((l) => /\baddr=([^ ]+):\d+ /.exec(l)?.[1] ?? '').filter(Boolean);
}

it('the sentinels announce container names: the master, its replicas and each other are named, not addressed', async () => {
  const master = await masterName();
  expect(REDIS).toContain(master);
  for (const s of SENTINELS) {
    expect(await masterName(s)).toBe(master);
    const replicas = (await sentinelTable(s, 'replicas')).map((r) => r['ip']).sort();
    expect(replicas).toEqual(REDIS.filter((r) => r !== master).sort());
    const peers = (await sentinelTable(s, 'sentinels')).map((r) => r['ip']).sort();
    expect(peers).toEqual(SENTINELS.filter((p) => p !== s).sort());
  }
});

it('the master container killed: failover to another container, every app follows, likes and uploads resume, no acknowledged like lost, the old master rejoins as a replica', async () => {
  progress('ROW Redis master container killed');
  const posts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await f.api.createPost(f.tokens.bob, f.image, { caption: `failover ${i}`, idempotencyKey: `compose-failover-${i}-${randomUUID()}` });
    if (res.status !== 201) throw new Error(describeResult(res, 'creating a failover post'));
    posts.push((res.json as { post: { id: string } }).post.id);
  }
  const queue = posts.flatMap((postId) => USERS.map((user) => ({ user, postId })));
  const acked: Array<{ user: User; postId: string }> = [];
  let failed = 0;
  const reads = load(f, { rates: { feed: 6, like: 0, create: 0 } });
  // the writer: about 4 likes/s (under the gateways' per-user write limit), each retried until acknowledged
  const writer = (async () => {
    const deadline = Date.now() + 150_000;
    while (queue.length > 0 && Date.now() < deadline) {
      const pair = queue.shift() as { user: User; postId: string };
      const res = await f.api.like(f.tokens[pair.user], pair.postId, 10_000);
      if (res.status === 200 && (res.json as { liked?: boolean }).liked === true) acked.push(pair);
      else {
        failed++;
        queue.push(pair);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  await waitUntil(() => acked.length >= 6, { timeoutMs: 60_000, message: '6 acknowledged likes before the kill' });
  const old = await masterName();
  const t = Date.now();
  await compose(['kill', '-s', 'SIGKILL', old]);
  progress(`  docker compose kill ${old} (the master) after ${acked.length} acknowledged likes`);
  // 2 minutes: usually 4 s, but a sentinel whose timer was held up over 2 s (a loaded machine)
  // goes into TILT for 30 s, and an election that fails is retried only after 2 x failover-timeout
  const next = await waitUntil(async () => {
    const names = await Promise.all(SENTINELS.map((s) => masterName(s).catch(() => '')));
    return names.every((n) => n === names[0] && n !== old && REDIS.includes(n)) ? names[0] : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250, message: `every sentinel to name a master other than ${old}` }).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${await sentinelDiagnosis(SENTINELS)}`, { cause: error });
  });
  const failoverMs = Date.now() - t;
  progress(`  every sentinel names ${next} after ${failoverMs} ms`);
  // every app container follows: each has a connection to the new master's container
  const ips = new Map([...(await containers()).values()].filter((c) => APPS.includes(c.service)).map((c) => [c.ip, c.service]));
  const following = await waitUntil(async () => {
    const connected = new Set((await clientAddresses(next)).map((ip) => ips.get(ip)).filter(Boolean));
    return APPS.every((a) => connected.has(a)) ? Date.now() - t : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500, message: `all 8 app containers connected to the new master ${next}` });
  await writer;
  await moreRequests(reads, 10);
  const readReport = await reads.stop();
  expect(queue).toEqual([]);
  // no acknowledged like lost: the new master has every acknowledged pair
  const lost: string[] = [];
  for (const { user, postId } of acked) {
    const members = await redisCli(next, ['SMEMBERS', `failsoft:likes:${postId}`]);
    if (!members.includes(user)) lost.push(`${user} → ${postId}`);
  }
  // the old master, started again, is a replica of the new one (its config was rewritten by the sentinels)
  await compose(['start', old]);
  const rejoinedMs = await waitUntil(async () => {
    const info = await redisCli(old, ['INFO', 'replication']).catch(() => [] as string[]);
    return info.includes('role:slave') && info.includes(`master_host:${next}`) && info.includes('master_link_status:up') ? Date.now() - t : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500, message: `${old} to replicate ${next}` });
  // uploads (durable writes checked against the sentinels' replica set) are accepted again
  await createPostOnceWritable(f.api, f.tokens.carol, f.image, 'after the failover', 'a post after the failover');
  const uploadsAfterMs = Date.now() - t;
  figure('compose-redis-master-killed', { old, next, failoverMs, everyAppFollowsMs: following, acknowledgedLikes: acked.length, failedAttempts: failed, lost: lost.length, oldMasterReplicaAfterMs: rejoinedMs, uploadsAfterMs });
  expect(lost).toEqual([]);
  expectNoErrors(readReport, 'GET /api/feed while the Redis master container was killed');
  await waitForAllHealthy(120_000);
});
