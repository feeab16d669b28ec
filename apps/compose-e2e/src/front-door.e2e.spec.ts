import { waitUntil } from '@failsoft/testing';
import { compose, failsoft, frontDoorUrl, progress, waitForAllHealthy } from './support/compose';

/**
 * The compose front door is a VRRP pair (deploy/keepalived/): one front door holds the virtual IP
 * (MASTER), the other waits (BACKUP) and takes the address over when the MASTER dies; the relay
 * publishing the port reaches whichever holds it. Real containers, real keepalived, SIGKILL.
 */

jest.setTimeout(300_000);

/**
 * The VRRP role of each front door as `failsoft status --compose --json` reports it. The status
 * exits 1, with its JSON, while something is down (the killed front door): only an exit with an
 * error message, or another code, is a failure.
 */
async function roles(): Promise<Record<string, string>> {
  const run = await failsoft(['status', '--compose', '--json']);
  if (run.code !== 0 && (run.code !== 1 || run.stderr.trim() !== '')) throw new Error(`failsoft status --compose exited ${run.code}: ${run.stderr.slice(-2000)}`);
  const status = JSON.parse(run.stdout) as { instances: Array<{ id: string; service: string; role?: string }> };
  return Object.fromEntries(status.instances.filter((i) => i.service === 'haproxy').map((i) => [i.id, i.role ?? 'none']));
}

afterAll(async () => {
  await compose(['start', 'front-door-1', 'front-door-2']);
  await waitForAllHealthy(180_000);
});

it('one front door is MASTER, the other BACKUP; SIGKILL of the MASTER: the BACKUP takes the address over, the port keeps answering, the killed one returns as BACKUP (nopreempt)', async () => {
  let before: Record<string, string> = {};
  await waitUntil(
    async () => {
      before = await roles();
      return Object.values(before).sort().join(',') === 'BACKUP,MASTER';
    },
    { timeoutMs: 60_000, intervalMs: 500, message: 'one MASTER and one BACKUP front door' },
  );
  const master = Object.keys(before).find((id) => before[id] === 'MASTER') as string;
  const backup = Object.keys(before).find((id) => before[id] === 'BACKUP') as string;
  const killedAt = Date.now();
  await compose(['kill', '-s', 'SIGKILL', master]);
  await waitUntil(async () => (await roles())[backup] === 'MASTER', { timeoutMs: 30_000, intervalMs: 200, message: `${backup} to become MASTER` });
  progress(`FIGURE compose-front-door-takeover ${JSON.stringify({ killed: master, newMaster: backup, seenAfterMs: Date.now() - killedAt })} (upper bound: includes the status polls)`);
  // through the relay, on a new connection: the new MASTER answers
  await waitUntil(async () => (await fetch(`${frontDoorUrl()}/readyz`, { headers: { connection: 'close' } }).catch(() => undefined))?.status === 200, { timeoutMs: 30_000, intervalMs: 200, message: 'the front door to answer through the new MASTER' });
  await compose(['start', master]);
  await waitForAllHealthy(180_000);
  await waitUntil(async () => (await roles())[master] === 'BACKUP', { timeoutMs: 60_000, intervalMs: 500, message: `${master} to come back as BACKUP` });
  expect(await roles()).toEqual({ [master]: 'BACKUP', [backup]: 'MASTER' });
});
