import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRedisServer, getFreePort, killAndWait, pairsToMap, parseInfo, redisCommand, waitUntil } from '@failsoft/testing';
import { workspace } from './support/tools';

/**
 * deploy/redis (the configs and entrypoint that docker-compose.yml and deploy/k8s run) really makes
 * a Redis Sentinel topology: run here with the machine's redis-server on free loopback ports, it
 * replicates, fails over when the master is killed, and a restarted or replaced node rejoins as a
 * replica of the current master (not of the initial one).
 */
const ENTRYPOINT = join(workspace, 'deploy', 'redis', 'entrypoint.sh');
const HOST = '127.0.0.1';
const MASTER_NAME = 'failsoft';

interface Node {
  name: string;
  mode: 'redis' | 'sentinel';
  port: number;
  dir: string;
  child?: ChildProcess;
  output: string;
}

describe('deploy/redis configs and entrypoint', () => {
  let root: string;
  let redisServer: string;
  const data: Node[] = [];
  const sentinels: Node[] = [];
  let sentinelList = '';

  function start(node: Node): void {
    const env = {
      PATH: process.env['PATH'],
      ANNOUNCE_HOST: HOST,
      INITIAL_MASTER_HOST: HOST,
      INITIAL_MASTER_PORT: String(data[0].port),
      SENTINELS: sentinelList,
      REDIS_MASTER_NAME: MASTER_NAME,
      REDIS_PORT: String(node.mode === 'redis' ? node.port : data[0].port),
      SENTINEL_PORT: String(node.port),
      BIND: HOST,
      DATA_DIR: node.dir,
    };
    node.output = '';
    const child = spawn('sh', [ENTRYPOINT, node.mode, redisServer], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (node.output += d));
    child.stderr?.on('data', (d) => (node.output += d));
    node.child = child;
  }

  const info = async (port: number): Promise<Record<string, string>> => parseInfo(String(await redisCommand(port, ['INFO', 'replication'])));
  const masterPortSeenBy = async (sentinel: Node): Promise<number | undefined> => {
    const reply = (await redisCommand(sentinel.port, ['SENTINEL', 'get-master-addr-by-name', MASTER_NAME])) as string[] | null;
    return reply ? Number(reply[1]) : undefined;
  };

  beforeAll(async () => {
    redisServer = findRedisServer();
    root = mkdtempSync(join(tmpdir(), 'deploy-e2e-redis-'));
    for (let i = 1; i <= 3; i++) data.push({ name: `redis-${i}`, mode: 'redis', port: await getFreePort(), dir: join(root, `redis-${i}`), output: '' });
    for (let i = 1; i <= 3; i++) sentinels.push({ name: `sentinel-${i}`, mode: 'sentinel', port: await getFreePort(), dir: join(root, `sentinel-${i}`), output: '' });
    sentinelList = sentinels.map((s) => `${HOST}:${s.port}`).join(',');
  });

  afterAll(async () => {
    for (const node of [...sentinels, ...data]) if (node.child && node.child.exitCode === null && node.child.signalCode === null) await killAndWait(node.child, 'SIGKILL').catch(() => undefined);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('starts 1 master, 2 replicas and 3 sentinels that agree on the master', async () => {
    for (const node of data) start(node);
    await waitUntil(
      async () => {
        const replication = await info(data[0].port);
        return replication['connected_slaves'] === '2' && ['slave0', 'slave1'].every((key) => replication[key]?.includes('state=online'));
      },
      { timeoutMs: 30_000, message: `2 replicas in sync with ${data[0].name}` },
    );
    for (const node of sentinels) start(node);
    for (const sentinel of sentinels) {
      await waitUntil(
        async () => {
          const master = pairsToMap(await redisCommand(sentinel.port, ['SENTINEL', 'master', MASTER_NAME]));
          return master['port'] === String(data[0].port) && master['num-slaves'] === '2' && master['num-other-sentinels'] === '2' && master['quorum'] === '2';
        },
        { timeoutMs: 20_000, message: `${sentinel.name} to see the master, 2 replicas and 2 other sentinels (output: ${sentinel.output})` },
      );
    }
    expect(readFileSync(join(data[1].dir, 'redis.conf'), 'utf8')).toMatch(new RegExp(`^replicaof ${HOST} ${data[0].port}$`, 'm'));
    expect(readFileSync(join(data[0].dir, 'redis.conf'), 'utf8')).not.toMatch(/^replicaof /m);
  });

  it('fails over when the master is killed, without losing a replicated write', async () => {
    await redisCommand(data[0].port, ['SET', 'failsoft:deploy-e2e', 'kept']);
    expect(await redisCommand(data[0].port, ['WAIT', 1, 5000], { timeoutMs: 8000 })).toBeGreaterThanOrEqual(1);
    await killAndWait(data[0].child as ChildProcess, 'SIGKILL');
    const newMaster = await waitUntil(
      async () => {
        const port = await masterPortSeenBy(sentinels[0]);
        return port !== undefined && port !== data[0].port ? port : undefined;
      },
      { timeoutMs: 30_000, message: 'the sentinels to promote a replica' },
    );
    await waitUntil(async () => (await info(newMaster))['role'] === 'master', { timeoutMs: 10_000, message: 'the promoted replica to become master' });
    expect(await redisCommand(newMaster, ['GET', 'failsoft:deploy-e2e'])).toBe('kept');
  });

  it('brings the old master back as a replica of the new one (its config reused, pointed at the current master)', async () => {
    const newMaster = (await masterPortSeenBy(sentinels[0])) as number;
    start(data[0]);
    await waitUntil(
      async () => {
        const replication = await info(data[0].port);
        return replication['role'] === 'slave' && replication['master_port'] === String(newMaster) && replication['master_link_status'] === 'up';
      },
      { timeoutMs: 30_000, message: `${data[0].name} to replicate the new master (output: ${data[0].output})` },
    );
    expect(data[0].output).toContain(`reusing ${join(data[0].dir, 'redis.conf')}; the sentinels name ${HOST}:${newMaster} as master`);
    expect(readFileSync(join(data[0].dir, 'redis.conf'), 'utf8').match(/^replicaof .*$/gm)).toEqual([`replicaof ${HOST} ${newMaster}`]);
    // and the sentinels count it as a replica again
    await waitUntil(async () => pairsToMap(await redisCommand(sentinels[0].port, ['SENTINEL', 'master', MASTER_NAME]))['num-slaves'] === '2', { timeoutMs: 20_000, message: 'the sentinels to list 2 replicas' });
  });

  it('starts a replaced node (empty data dir) as a replica of the master the sentinels name', async () => {
    const newMaster = (await masterPortSeenBy(sentinels[0])) as number;
    const replaced = data.find((n) => n.port !== newMaster && n !== data[0]) as Node;
    await killAndWait(replaced.child as ChildProcess, 'SIGKILL');
    rmSync(replaced.dir, { recursive: true, force: true });
    start(replaced);
    await waitUntil(
      async () => {
        const replication = await info(replaced.port);
        return replication['role'] === 'slave' && replication['master_port'] === String(newMaster) && replication['master_link_status'] === 'up';
      },
      { timeoutMs: 30_000, message: `${replaced.name} to replicate the current master (output: ${replaced.output})` },
    );
    expect(replaced.output).toContain(`the sentinels name ${HOST}:${newMaster} as master`);
    expect(await redisCommand(replaced.port, ['GET', 'failsoft:deploy-e2e'])).toBe('kept');
  });
});
