import { formatDuration, UsageError } from '../args';
import { chaosTargetFor, COMPOSE_FLAG, liveInstances, pickRandom, runChaos, stamp } from '../chaos/chaos-cli';
import { CHAOS_SIGNALS, type ChaosSignal, type ChaosTarget } from '../chaos/chaos-target';
import { SERVICE_NAMES } from '../topology';
import type { CliIo, Command } from './command';

/** Options of {@link runMonkey}. */
export interface MonkeyOptions {
  /** Pause between kills (ms). */
  everyMs: number;
  /** How long the monkey runs (ms). */
  forMs: number;
  /** How long each victim stays down before it is revived (ms). */
  downMs: number;
  services: readonly string[];
  /** Allow killing the last live instance of a service. */
  allowZero: boolean;
  signal: ChaosSignal;
  /** Random source (default Math.random). */
  random?: () => number;
  /** Aborts the run early (Ctrl-C): everything killed is revived. */
  signalAbort?: AbortSignal;
}

/** What a monkey run did. */
export interface MonkeyResult {
  kills: number;
  revives: number;
  /** Ticks where no instance could be killed without going below one live instance per service. */
  skipped: number;
  /** Victims that could not be revived at the end (should be empty). */
  notRevived: string[];
}

/** Resolves after `ms`, or at once when `signal` aborts (the timer is cleared then). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The chaos monkey: every `everyMs` kills one random live instance of `services` (never the last
 * live one of a service unless `allowZero`), revives each victim `downMs` later, and at the end (or
 * on abort) revives everything it killed. Prints one timestamped line per action.
 */
export async function runMonkey(target: ChaosTarget, options: MonkeyOptions, io: CliIo): Promise<MonkeyResult> {
  const random = options.random ?? Math.random;
  const down = new Map<string, number>(); // victim id → when to revive it
  const result: MonkeyResult = { kills: 0, revives: 0, skipped: 0, notRevived: [] };
  const end = Date.now() + options.forMs;
  const revive = async (id: string): Promise<void> => {
    try {
      await target.revive(id);
      down.delete(id);
      result.revives++;
      io.out(`${stamp()} revive ${id}`);
    } catch (error) {
      io.err(`${stamp()} could not revive ${id}: ${(error as Error).message}`);
    }
  };
  io.out(`${stamp()} monkey: a ${options.signal} every ${formatDuration(options.everyMs)} for ${formatDuration(options.forMs)} among ${options.services.join(', ')}; each victim down for ${formatDuration(options.downMs)}${options.allowZero ? '; may take a service to zero' : '; never below one live instance per service'}`);
  let nextKill = Date.now();
  while (!options.signalAbort?.aborted && Date.now() < end) {
    for (const [id, at] of [...down]) if (Date.now() >= at) await revive(id);
    if (Date.now() >= nextKill) {
      nextKill += options.everyMs;
      try {
        const status = await target.status();
        const candidates = options.services.flatMap((service) => {
          const live = liveInstances(status.instances, service).filter((i) => !down.has(i.id));
          return options.allowZero || live.length > 1 ? live : [];
        });
        const victim = pickRandom(candidates, random);
        if (!victim) {
          result.skipped++;
          io.out(`${stamp()} skip: no instance can go without leaving a service with no live instance`);
        } else if (!options.signalAbort?.aborted) {
          await target.kill(victim.id, options.signal);
          down.set(victim.id, Date.now() + options.downMs);
          result.kills++;
          io.out(`${stamp()} ${options.signal.toLowerCase()} ${victim.id}${victim.pid ? ` (pid ${victim.pid})` : ''}; back in ${formatDuration(options.downMs)}`);
        }
      } catch (error) {
        io.err(`${stamp()} monkey: ${(error as Error).message}`);
      }
    }
    const wake = Math.min(nextKill, ...down.values(), end);
    await pause(Math.max(10, wake - Date.now()), options.signalAbort);
  }
  io.out(`${stamp()} monkey: ${options.signalAbort?.aborted ? 'interrupted' : 'done'}; reviving ${down.size ? [...down.keys()].join(', ') : 'nothing (all back)'}`);
  for (const id of [...down.keys()]) await revive(id);
  result.notRevived = [...down.keys()];
  return result;
}

/** `failsoft monkey`: random instance kills for a while, then everything back. */
export const monkeyCommand: Command = {
  name: 'monkey',
  summary: 'random instance kills for a while (never below one live instance per service), then revive all',
  usage: 'failsoft monkey [--every 3s] [--for 60s] [--down <duration>] [--services likes,feed] [--signal KILL|TERM|STOP] [--allow-zero] [--compose]',
  details: [
    'Every --every it kills one random live instance and revives it --down later (default: --every),',
    'so each service keeps its full strength most of the time. At the end, or on Ctrl-C, it revives',
    'everything it killed. Example: failsoft monkey --every 3s --for 60s --services likes,feed',
  ],
  flags: [
    { name: 'every', type: 'duration', min: 100, max: 3_600_000, valueName: '<duration>', description: 'pause between kills (default 3s)' },
    { name: 'for', type: 'duration', min: 100, max: 86_400_000, valueName: '<duration>', description: 'how long to run (default 60s)' },
    { name: 'down', type: 'duration', min: 100, max: 3_600_000, valueName: '<duration>', description: 'how long each victim stays down (default: --every)' },
    { name: 'services', type: 'string', valueName: '<list>', description: `comma-separated services (default ${SERVICE_NAMES.join(',')})` },
    { name: 'signal', type: 'choice', choices: CHAOS_SIGNALS, valueName: 'KILL|TERM|STOP', description: 'how victims go down (default KILL)' },
    { name: 'allow-zero', type: 'boolean', description: 'allow killing the last live instance of a service' },
    COMPOSE_FLAG,
  ],
  async run(flags, ctx) {
    return runChaos(ctx, 'monkey', async () => {
      const services = typeof flags['services'] === 'string' ? flags['services'].split(',').map((s) => s.trim()).filter(Boolean) : [...SERVICE_NAMES];
      const unknown = services.filter((s) => !(SERVICE_NAMES as readonly string[]).includes(s));
      if (services.length === 0 || unknown.length) throw new UsageError(`failsoft monkey: unknown service ${JSON.stringify(unknown[0] ?? '')} in --services; services are ${SERVICE_NAMES.join(', ')}`);
      const everyMs = typeof flags['every'] === 'number' ? flags['every'] : 3000;
      const options: MonkeyOptions = {
        everyMs,
        forMs: typeof flags['for'] === 'number' ? flags['for'] : 60_000,
        downMs: typeof flags['down'] === 'number' ? flags['down'] : everyMs,
        services,
        allowZero: flags['allow-zero'] === true,
        signal: (flags['signal'] as ChaosSignal | undefined) ?? 'KILL',
      };
      const target = chaosTargetFor(flags, ctx);
      await target.status(); // fails early (exit 1) when there is no platform
      const abort = new AbortController();
      let interrupts = 0;
      const onSignal = (): void => {
        interrupts++;
        if (interrupts === 1) {
          ctx.io.err(`${stamp()} monkey: stopping; reviving what it killed (Ctrl-C again to leave them down)`);
          abort.abort();
          return;
        }
        ctx.io.err('monkey: left without reviving; run: failsoft revive --all');
        process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await runMonkey(target, { ...options, signalAbort: abort.signal }, ctx.io);
        ctx.io.out(`${stamp()} monkey: ${result.kills} kills, ${result.revives} revives, ${result.skipped} skipped ticks`);
        if (result.notRevived.length) {
          ctx.io.err(`failsoft monkey: could not revive ${result.notRevived.join(', ')}; run: failsoft revive --all`);
          return 1;
        }
        return abort.signal.aborted ? 130 : 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  },
};
