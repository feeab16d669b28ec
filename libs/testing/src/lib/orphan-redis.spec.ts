import { isProcessAlive, waitUntil } from '@failsoft/local-runtime';
import { killAndWait, spawnTsNode, waitForOutput } from './process-helpers';

describe('a redis-server of @failsoft/local-runtime started by a test process', () => {
  it('does not outlive its owner process when that process is SIGKILLed', async () => {
    const owner = spawnTsNode('libs/testing/test/fixtures/orphan-redis.fixture.ts');
    try {
      const match = await waitForOutput(owner, /REDIS pid=(\d+) port=(\d+)/, 20_000);
      const pid = Number(match[1]);
      expect(isProcessAlive(pid)).toBe(true);
      await killAndWait(owner, 'SIGKILL');
      await waitUntil(() => !isProcessAlive(pid), { timeoutMs: 5000, message: `orphaned redis-server ${pid} to be killed by its watchdog` });
    } finally {
      await killAndWait(owner, 'SIGKILL');
    }
  });
});
