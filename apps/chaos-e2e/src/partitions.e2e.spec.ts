// The Redis partition scenarios of `failsoft scenario partitions` with --short durations, against
// the real platform of `npm start` (every Redis node and sentinel behind a relay that cuts links)
// started in this process: steady state, load, partition, heal, recovery, read-back of every
// acknowledged write under the default durability rule. One test per scenario.
/* eslint-disable @nx/enforce-module-boundaries */
import { PARTITION_SCENARIOS } from '../../cli/src/app/scenario/partition-scenarios';
/* eslint-enable @nx/enforce-module-boundaries */
import { progress, runShortScenario, startScenarioPlatform, type ScenarioPlatform } from './support/scenarios';

jest.setTimeout(300_000);

/** What the fault step of a scenario must have found (FaultContext.note). */
const EXPECTED_FINDINGS: Record<string, Record<string, unknown>> = {
  'redis-partition-leader-cut': { takeover: true, staleTrendingResults: 0 },
};

describe('Redis partition scenarios (--short) against the real platform', () => {
  let sp: ScenarioPlatform | undefined;

  const relaysBefore = process.env['FAILSOFT_RELAYS'];
  beforeAll(async () => {
    process.env['FAILSOFT_RELAYS'] = 'on'; // npm start's relays, off by default (docs/chaos.md, "What exactly is cut")
    sp = await startScenarioPlatform();
  }, 300_000);

  afterAll(async () => {
    if (relaysBefore === undefined) delete process.env['FAILSOFT_RELAYS'];
    else process.env['FAILSOFT_RELAYS'] = relaysBefore;
    if (!sp) return;
    await sp.target.heal().catch(() => undefined);
    const t = Date.now();
    await sp.platform.stop('end of the partitions spec');
    progress(`platform stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }, 120_000);

  it('the relays are in front of every node and sentinel, and a cut is reported and healed', async () => {
    if (!sp) throw new Error('the platform did not start (see beforeAll)');
    const network = sp.platform.redis.network;
    expect(network?.names).toEqual(['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3']);
    expect(await sp.target.partition([['redis-2'], ['sentinel-1']])).toEqual(['redis-2|sentinel-1']);
    await expect(sp.target.partition([['redis-2'], ['gateway-9']])).rejects.toThrow(/unknown node "gateway-9" in the partition; known: redis-1, .*clients.*gateway-1/);
    expect(network?.cutLinks).toEqual(['redis-2|sentinel-1']); // nothing changed by the bad one
    // a service instance is a node of its own (its connections are identified by their owner process)
    expect(await sp.target.partition([['feed-2'], ['redis-3']])).toEqual(['feed-2|redis-3', 'redis-2|sentinel-1']);
    await sp.target.heal();
    expect(network?.cutLinks).toEqual([]);
    await sp.target.waitForHealthy(60_000);
  });

  it.each(PARTITION_SCENARIOS.map((s) => [s.name, s] as const))('%s: 0 lost and 0 unverified acknowledged writes, reads available, recovery', async (_name, scenario) => {
    if (!sp) throw new Error('the platform did not start (see beforeAll)');
    const result = await runShortScenario(scenario, sp.target);
    expect(result.steady).toBe(true);
    expect(result.acknowledgedWrites).toBeGreaterThan(0);
    expect(result.readBack?.requests.total).toBeGreaterThan(0);
    expect(result.durability).toMatch(/replicaSet 'sentinel'/);
    expect({ lost: result.lost, unverified: result.unverified }).toEqual({ lost: [], unverified: [] });
    expect(result.lostAcknowledgedWrites).toBe(0);
    expect(result.recoverySeconds).not.toBeNull();
    expect(result.findings ?? {}).toMatchObject(EXPECTED_FINDINGS[scenario.name] ?? {});
    expect({ scenario: result.name, misses: result.misses, met: result.met }).toEqual({ scenario: scenario.name, misses: [], met: true });
  });
});
