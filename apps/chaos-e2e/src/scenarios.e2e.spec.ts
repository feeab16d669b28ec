// Every chaos scenario of `failsoft scenario` with --short durations, against one real platform
// (Redis Sentinel, every service instance, HAProxy) started in this process: steady state, load,
// fault, recovery, read-back of every acknowledged write. One test per scenario, so a missed target
// names the scenario. Recovery time is reported, not asserted (only that recovery happens, within
// the runner's generous bound).
/* eslint-disable @nx/enforce-module-boundaries */
import { SCENARIOS } from '../../cli/src/app/scenario/scenarios';
/* eslint-enable @nx/enforce-module-boundaries */
import { progress, runShortScenario, startScenarioPlatform, type ScenarioPlatform } from './support/scenarios';

jest.setTimeout(300_000);

describe('chaos scenarios (--short) against the real platform', () => {
  let sp: ScenarioPlatform | undefined;

  beforeAll(async () => {
    sp = await startScenarioPlatform();
  }, 300_000);

  afterAll(async () => {
    if (!sp) return;
    const t = Date.now();
    await sp.platform.stop('end of the scenarios spec');
    progress(`platform stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }, 120_000);

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s meets its target (availability, 0 lost and 0 unverified acknowledged writes, recovery)', async (_name, scenario) => {
    if (!sp) throw new Error('the platform did not start (see beforeAll)');
    const result = await runShortScenario(scenario, sp.target);
    // the run did real work: a load with acknowledged writes that were read back
    expect(result.steady).toBe(true);
    expect(result.requests).toBeGreaterThan(50);
    expect(result.acknowledgedWrites).toBeGreaterThan(0);
    expect(result.fault.endMs).toBeGreaterThan(result.fault.startMs);
    // the read-back judged every acknowledged write: none lost, none left unverified
    expect(result.readBack?.requests.total).toBeGreaterThan(0);
    expect({ lost: result.lost, unverified: result.unverified }).toEqual({ lost: [], unverified: [] });
    // the targets
    expect(result.lostAcknowledgedWrites).toBe(0);
    expect(result.unverifiedWrites).toBe(0);
    expect(result.recoverySeconds).not.toBeNull();
    expect({ scenario: result.name, misses: result.misses, errorsByCause: result.errorsByCause, met: result.met }).toEqual({ scenario: scenario.name, misses: [], errorsByCause: expect.anything(), met: true });
  });
});
