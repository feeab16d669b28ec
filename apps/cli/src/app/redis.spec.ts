import { createServer, type Server } from 'node:net';
import { startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { watchRedis, type RedisWatch } from './redis';

jest.setTimeout(60_000);

/**
 * The supervisor of the local platform's Redis data nodes (watchRedis) against a real topology
 * (one master, one replica, one sentinel): real SIGKILLs, a real port taken by another process.
 */
describe('watchRedis (the Redis supervisor of npm start)', () => {
  let topology: SentinelTopology;
  let watch: RedisWatch | undefined;
  const lines: string[] = [];
  let now = 0;
  const held = new Set<number>();

  beforeAll(async () => {
    topology = await startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 });
    watch = watchRedis(topology, {
      log: (line) => lines.push(line),
      onChange: () => undefined,
      stopping: () => false,
      isHeld: (port) => held.has(port),
      backoff: { initialMs: 100, maxMs: 1000, resetAfterMs: 60_000, now: () => now },
    });
  });

  afterAll(async () => {
    watch?.stop();
    await topology?.stop();
  });

  const replica = () => topology.servers[1];
  const linesAbout = (port: number) => lines.filter((l) => l.includes(`:${port}`));

  async function killReplicaAndWaitRestart(): Promise<string> {
    const node = replica();
    const before = lines.length;
    process.kill(node.pid, 'SIGKILL');
    await waitUntil(() => replica() !== node && replica().running, { timeoutMs: 20_000, intervalMs: 20, message: `:${node.port} to be restarted` });
    const exitLine = lines.slice(before).find((l) => /exited; restarting it as a replica in \d+ ms/.test(l));
    if (!exitLine) throw new Error(`no exit line in:\n${lines.slice(before).join('\n')}`);
    return /in (\d+) ms/.exec(exitLine)?.[1] ?? '';
  }

  it('restarts a killed replica with a backoff that doubles in a crash loop and starts over after the node stayed up', async () => {
    expect(await killReplicaAndWaitRestart()).toBe('100');
    expect(await killReplicaAndWaitRestart()).toBe('200'); // up for no time: the next of a loop
    now += 8 * 60_000; // up eight minutes
    expect(await killReplicaAndWaitRestart()).toBe('100');
  });

  it('names the reason of a failed restart from the Redis log (Address already in use), and restarts once the port is free', async () => {
    const node = replica();
    const port = node.port;
    let blocker: Server | undefined;
    const from = lines.length;
    // take the port the moment the replica is gone, before the supervisor restarts it
    const taken = node.exited.then(
      () =>
        new Promise<void>((resolve, reject) => {
          blocker = createServer((socket) => socket.destroy()).listen(port, '127.0.0.1', () => resolve()); // hangs up on whoever connects (the sentinel)
          blocker.on('error', reject);
        }),
    );
    process.kill(node.pid, 'SIGKILL');
    await taken;
    try {
      await waitUntil(() => lines.slice(from).some((l) => l.includes('could not restart')), { timeoutMs: 20_000, intervalMs: 20, message: 'a failed restart line' });
      const failure = lines.slice(from).find((l) => l.includes('could not restart')) ?? '';
      expect(failure).toMatch(new RegExp(`could not restart :${port} yet \\(.*exited \\(code 1\\) before answering PING; Redis log: ".*Address already in use"\\); retrying in \\d+ ms`));
    } finally {
      await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    }
    await waitUntil(() => replica().port === port && replica().running, { timeoutMs: 20_000, intervalMs: 20, message: `:${port} restarted once the port is free` });
    expect(linesAbout(port).some((l) => l.startsWith(`[redis] :${port} restarted`))).toBe(true);
  });

  it('keeps a held node down until released, then restarts it', async () => {
    const node = replica();
    held.add(node.port);
    const from = lines.length;
    process.kill(node.pid, 'SIGKILL');
    await waitUntil(() => lines.slice(from).some((l) => l.includes('held down until revived')), { timeoutMs: 10_000, intervalMs: 20, message: 'the held-down line' });
    expect(replica()).toBe(node); // not restarted
    expect(replica().running).toBe(false);
    expect(watch?.release(9)).toBe(false); // no such node down
    held.delete(node.port);
    expect(watch?.release(node.port)).toBe(true);
    await waitUntil(() => replica() !== node && replica().running, { timeoutMs: 20_000, intervalMs: 20, message: 'the released node to be restarted' });
  });
});
