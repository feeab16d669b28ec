import { waitUntil } from '@failsoft/testing';
import { failsoft, masterName, progress, project, run, sentinelDiagnosis, waitForAllHealthy } from './support/compose';
import { fixture } from './support/platform';

/**
 * Network partitions in compose (`failsoft partition|heal --compose`): iptables rules in the
 * network namespaces of the containers concerned, set by the throwaway cutter of deploy/netcut.
 * A cut link refuses new connections at once, the other links stay, heal restores every link,
 * and the partition scenario keeps every acknowledged write.
 */

jest.setTimeout(300_000);

const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'];
const REDIS = ['redis-1', 'redis-2', 'redis-3'];

beforeAll(async () => {
  // the scenario likes posts: the platform needs a few
  await fixture(2);
});

afterAll(async () => {
  await failsoft(['heal', '--compose']);
  await waitForAllHealthy(180_000);
});

/** What a TCP connection from container `from` to `to`:`port` meets: `open`, `refused` or the error. */
async function connect(from: string, to: string, port = 6379): Promise<string> {
  const result = await run('docker', ['compose', '-p', project(), 'exec', '-T', from, 'timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/${to}/${port} && echo connected`]);
  if (result.code === 0 && result.stdout.trim() === 'connected') return 'open';
  return /Connection refused/.test(result.stderr) ? 'refused' : `exit ${result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}`;
}

it('partition --compose refuses exactly the links between the groups, heal restores them; a bad name changes nothing', async () => {
  const master = await masterName();
  const [cutReplica, keptReplica] = REDIS.filter((r) => r !== master);

  const bad = await failsoft(['partition', master, 'sentinel-1,gateway-9', '--compose']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/unknown node "gateway-9"/);
  expect(await connect('sentinel-1', master)).toBe('open');

  const cut = await failsoft(['partition', master, `${SENTINELS.join(',')},${cutReplica}`, '--compose']);
  if (cut.code !== 0) throw new Error(`failsoft partition --compose exited ${cut.code}: ${cut.stderr}`);
  const links = [...SENTINELS, cutReplica].map((n) => (n < master ? `${n}|${master}` : `${master}|${n}`)).sort();
  expect(cut.stdout).toContain(`links cut now: ${links.join(' ')}`);
  progress(`  cut ${master} from ${SENTINELS.join(',')},${cutReplica}`);
  for (const s of SENTINELS) expect(await connect(s, master)).toBe('refused');
  expect(await connect(cutReplica, master)).toBe('refused');
  // links inside a group and of unlisted nodes stay
  expect(await connect(keptReplica, master)).toBe('open');
  expect(await connect('sentinel-1', cutReplica)).toBe('open');
  expect(await connect('gateway-1', master)).toBe('open');

  const healed = await failsoft(['heal', '--compose']);
  if (healed.code !== 0) throw new Error(`failsoft heal --compose exited ${healed.code}: ${healed.stderr}`);
  for (const s of SENTINELS) expect(await connect(s, master)).toBe('open');
  expect(await connect(cutReplica, master)).toBe('open');

  // the sentinels may have failed over meanwhile: wait until they agree again before the next test
  await waitUntil(async () => new Set(await Promise.all(SENTINELS.map((s) => masterName(s).catch(() => '?')))).size === 1, { timeoutMs: 60_000, message: 'the sentinels agree on one master after the heal' }).catch(
    async (error: Error) => {
      throw new Error(`${error.message}\n${await sentinelDiagnosis()}`);
    },
  );
  await waitForAllHealthy(180_000);
});

it('scenario redis-partition-minority-master --compose --short --json: target met, 0 acknowledged writes lost', async () => {
  progress('scenario redis-partition-minority-master --compose --short --json');
  const run = await failsoft(['scenario', 'redis-partition-minority-master', '--compose', '--short', '--json'], 280_000);
  if (run.code !== 0) throw new Error(`failsoft scenario redis-partition-minority-master --compose exited ${run.code}:\n${run.stdout}\n${run.stderr.slice(-4000)}`);
  const json = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as { scenarios: Array<Record<string, unknown>> };
  const [s] = json.scenarios;
  progress(`FIGURE compose-scenario-partition ${JSON.stringify({ availability: s['availability'], endpoints: s['endpoints'], recoverySeconds: s['recoverySeconds'], lost: s['lostAcknowledgedWrites'], acknowledged: s['acknowledgedWrites'] })}`);
  expect(s).toMatchObject({ name: 'redis-partition-minority-master', met: true, lostAcknowledgedWrites: 0, unverifiedWrites: 0 });
  expect(s['acknowledgedWrites'] as number).toBeGreaterThan(0);
});
