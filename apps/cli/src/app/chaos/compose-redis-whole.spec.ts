import { composeRedisProblem, replicationFields, replicationProblem, type ComposeRedisCli } from './compose-redis-whole';

const INFO_TWO_ONLINE = '# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=redis-2,port=6379,state=online,offset=10,lag=0\r\nslave1:ip=redis-1,port=6379,state=online,offset=10,lag=1\r\n';
const INFO_ONE_SYNCING = '# Replication\nrole:master\nconnected_slaves:2\nslave0:ip=redis-2,port=6379,state=online,offset=10,lag=0\nslave1:ip=redis-1,port=6379,state=wait_bgsave,offset=0,lag=0\n';

describe('replicationFields / replicationProblem', () => {
  it('reads LF and CRLF replies alike and skips the section header', () => {
    expect(replicationFields(INFO_TWO_ONLINE)).toMatchObject({ role: 'master', connected_slaves: '2' });
    expect(replicationFields(INFO_ONE_SYNCING)['#']).toBeUndefined();
  });

  it('counts only online replicas: one still waiting for its full resync is not', () => {
    expect(replicationProblem('redis-3', INFO_TWO_ONLINE, 2)).toBeUndefined();
    expect(replicationProblem('redis-3', INFO_ONE_SYNCING, 2)).toBe('the master redis-3 has 1 of 2 replicas online');
  });

  it('names a master that is not one (not yet promoted, or demoted)', () => {
    expect(replicationProblem('redis-1', 'role:slave\n', 2)).toBe('redis-1 is named the master but says role slave');
    expect(replicationProblem('redis-1', '', 2)).toBe('redis-1 is named the master but says role (no INFO)');
  });
});

describe('composeRedisProblem', () => {
  /** A redis-cli that answers from tables: each sentinel's master, each node's INFO. */
  const cli =
    (masters: Record<string, string>, infos: Record<string, string>): ComposeRedisCli =>
    async (service, args) => {
      if (args[0] === 'SENTINEL') {
        if (!(service in masters)) throw new Error(`${service} does not answer`);
        return `${masters[service]}\n6379\n`;
      }
      return infos[service] ?? '';
    };
  const running = { sentinels: ['sentinel-1', 'sentinel-2', 'sentinel-3'], data: ['redis-1', 'redis-2', 'redis-3'] };

  it('is whole when the sentinels agree and the master has every other running node online', async () => {
    const masters = { 'sentinel-1': 'redis-3', 'sentinel-2': 'redis-3', 'sentinel-3': 'redis-3' };
    expect(await composeRedisProblem(cli(masters, { 'redis-3': INFO_TWO_ONLINE }), running, 26379, 'failsoft')).toBeUndefined();
    expect(await composeRedisProblem(cli(masters, { 'redis-3': INFO_ONE_SYNCING }), running, 26379, 'failsoft')).toBe('the master redis-3 has 1 of 2 replicas online');
  });

  it('says which sentinel names which master when they disagree or one does not answer', async () => {
    const split = cli({ 'sentinel-1': 'redis-1', 'sentinel-2': 'redis-3', 'sentinel-3': 'redis-3' }, {});
    expect(await composeRedisProblem(split, running, 26379, 'failsoft')).toBe('the sentinels name the master sentinel-1: redis-1, sentinel-2: redis-3, sentinel-3: redis-3');
    const mute = cli({ 'sentinel-1': 'redis-3', 'sentinel-2': 'redis-3' }, {});
    expect(await composeRedisProblem(mute, running, 26379, 'failsoft')).toMatch(/sentinel-3: \?$/);
  });

  it('expects only the running data nodes as replicas, and refuses a master that is not running', async () => {
    const masters = { 'sentinel-1': 'redis-3', 'sentinel-2': 'redis-3', 'sentinel-3': 'redis-3' };
    const one = '# Replication\nrole:master\nslave0:ip=redis-2,port=6379,state=online,offset=1,lag=0\n';
    expect(await composeRedisProblem(cli(masters, { 'redis-3': one }), { ...running, data: ['redis-2', 'redis-3'] }, 26379, 'failsoft')).toBeUndefined();
    expect(await composeRedisProblem(cli(masters, {}), { ...running, data: ['redis-1', 'redis-2'] }, 26379, 'failsoft')).toBe('the sentinels name the master redis-3, which is not running');
    expect(await composeRedisProblem(cli(masters, {}), { ...running, sentinels: [] }, 26379, 'failsoft')).toBe('no sentinel container is running');
  });
});
