import { getFreePort, redisCommand, startRedisServer, waitUntil, type RedisServerHandle } from '@failsoft/local-runtime';
import { monitorRedis } from './redis-monitor';

describe('monitorRedis (real redis-server)', () => {
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('sees every command run after it resolves, with its arguments quoted', async () => {
    const monitor = await monitorRedis(server.port);
    try {
      await redisCommand(server.port, ['SET', 'monitored:key', 'a value']);
      await waitUntil(() => monitor.lines.some((line) => line.includes('"SET" "monitored:key" "a value"')), { timeoutMs: 5000, message: 'the SET in the monitor' });
    } finally {
      monitor.stop();
    }
    expect(monitor.lines.every((line) => /^\d+\.\d+ \[\d+ /.test(line))).toBe(true);
  });

  it('rejects naming the address when nothing listens', async () => {
    const port = await getFreePort();
    await expect(monitorRedis(port)).rejects.toThrow(`MONITOR on 127.0.0.1:${port}: connect ECONNREFUSED`);
  });
});
