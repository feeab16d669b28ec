import { pairsToMap, redisCommand } from './redis-command';
import { waitUntil } from './wait-until';

/** What {@link awaitSentinelAgreement} checks, and how it talks to the sentinels. */
export interface SentinelAgreementOptions {
  /** The sentinels' ports (loopback). */
  readonly ports: readonly number[];
  /** Name the sentinels monitor the master under. */
  readonly masterName: string;
  /** The master every sentinel must name. */
  readonly masterPort: number;
  /** Replicas every sentinel must know. */
  readonly replicas: number;
  /** The sentinels' password (an authenticated topology). */
  readonly password?: string;
  /** Bound of the wait, in ms. */
  readonly timeoutMs: number;
}

/**
 * The hello period used while a new topology settles, in ms. Sentinels find each other only
 * through the hello messages they publish on the master every `publish-period` (2000 ms by
 * default), so a fresh topology needs up to two periods before every sentinel counts the others;
 * this is the whole of a local start's Redis wait otherwise.
 */
export const SETTLING_PUBLISH_PERIOD_MS = 100;

/**
 * Waits until every sentinel names `masterPort` as master and counts all the replicas and every
 * other sentinel. While it waits, each sentinel publishes its hello every
 * {@link SETTLING_PUBLISH_PERIOD_MS} (`SENTINEL DEBUG publish-period`, Redis 7); once they agree
 * (or the wait fails), each is set back to the period it had, so the running topology behaves
 * exactly as one that settled on its own. A Redis without `SENTINEL DEBUG` just waits the default periods.
 * @throws WaitTimeoutError when they do not agree within `timeoutMs`.
 */
export async function awaitSentinelAgreement(options: SentinelAgreementOptions): Promise<void> {
  const auth = { timeoutMs: 1000, password: options.password };
  const periods = await Promise.all(options.ports.map((port) => speedUpHello(port, auth)));
  try {
    await waitUntil(
      async () => {
        for (const port of options.ports) {
          const state = pairsToMap(await redisCommand(port, ['SENTINEL', 'MASTER', options.masterName], auth));
          if (state['flags'] !== 'master' || state['port'] !== String(options.masterPort)) return false;
          if (Number(state['num-slaves']) !== options.replicas || Number(state['num-other-sentinels']) !== options.ports.length - 1) return false;
        }
        return true;
      },
      {
        timeoutMs: options.timeoutMs,
        intervalMs: 25,
        message: `the ${options.ports.length} sentinels to agree on the master, its ${options.replicas} replicas and each other`,
      },
    );
  } finally {
    await Promise.all(options.ports.map((port, i) => restoreHello(port, periods[i], auth)));
  }
}

/** Sets a sentinel's hello period to the settling one. @returns the period it had, or undefined when it cannot be changed. */
async function speedUpHello(port: number, auth: { timeoutMs: number; password?: string }): Promise<string | undefined> {
  try {
    const before = pairsToMap(await redisCommand(port, ['SENTINEL', 'DEBUG'], auth));
    const period = Object.entries(before).find(([name]) => name.toLowerCase() === 'publish-period')?.[1];
    if (period === undefined) return undefined;
    await redisCommand(port, ['SENTINEL', 'DEBUG', 'publish-period', SETTLING_PUBLISH_PERIOD_MS], auth);
    return period;
  } catch {
    return undefined; // a Redis before 7.0 has no SENTINEL DEBUG: the default periods apply
  }
}

/** Sets a sentinel's hello period back; a sentinel that died meanwhile is left alone. */
async function restoreHello(port: number, period: string | undefined, auth: { timeoutMs: number; password?: string }): Promise<void> {
  if (period === undefined) return;
  try {
    await redisCommand(port, ['SENTINEL', 'DEBUG', 'publish-period', period], auth);
  } catch {
    // it is gone: nothing to restore
  }
}
