import { PLATFORM_SERVICE_NAMES } from '@failsoft/contracts';
import type { ChaosTarget } from '../chaos/chaos-target';
import { runMonkey } from '../commands/monkey';
import type { Exemption, FaultContext, ScenarioDefinition } from './scenario';
import { ZONE_OUTAGE } from './zone-outage.scenario';

/** Services whose instances the kill-one, monkey and rolling scenarios kill (the front doors have scenarios of their own). */
export const SCENARIO_SERVICES = PLATFORM_SERVICE_NAMES;

/** Id of the fault rule the delay scenario adds. */
export const DELAY_RULE_ID = 'scenario-likes-delay';

/** Polls `status()` until instance `id` runs and answers /readyz 200. @throws after `timeoutMs` naming its state. */
export async function waitInstanceReady(target: ChaosTarget, id: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'unknown';
  while (Date.now() < deadline) {
    const status = await target.status().catch((error: Error) => {
      last = `status failed: ${error.message}`;
      return undefined;
    });
    const instance = status?.instances.find((i) => i.id === id);
    if (instance) {
      if (instance.state === 'running' && instance.ready) return;
      last = `${instance.state}, ready ${String(instance.ready)}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${id} did not get ready within ${Math.round(timeoutMs / 1000)} s (last seen: ${last})`);
}

function killOne(service: string): ScenarioDefinition {
  return {
    name: `kill-one-${service}`,
    title: `SIGKILL one ${service} instance, hold it down, revive it`,
    async fault(ctx) {
      const [id] = await ctx.target.instancesOf(service);
      ctx.mark(`SIGKILL ${id}`);
      ctx.log(`SIGKILL ${id} (held down for ${ctx.faultMs / 1000} s)`);
      await ctx.target.kill(id, 'KILL');
      await ctx.hold(ctx.faultMs);
      ctx.mark(`revive ${id}`);
      ctx.log(`revive ${id}`);
      await ctx.target.revive(id);
    },
  };
}

function killAll(service: 'likes' | 'upload' | 'feed', exempt: ScenarioDefinition['exempt']): ScenarioDefinition {
  return {
    name: `kill-all-${service}`,
    title: `SIGKILL every ${service} instance, hold them down, revive them`,
    exempt,
    async fault(ctx) {
      const ids = await ctx.target.instancesOf(service);
      ctx.mark(`SIGKILL all ${service}`);
      ctx.log(`SIGKILL ${ids.join(', ')} (held down for ${ctx.faultMs / 1000} s)`);
      await Promise.all(ids.map((id) => ctx.target.kill(id, 'KILL')));
      await ctx.hold(ctx.faultMs);
      ctx.mark(`revive all ${service}`);
      ctx.log(`revive ${ids.join(', ')}`);
      await Promise.all(ids.map((id) => ctx.target.revive(id)));
    },
  };
}

/**
 * A view of `target` for the monkey in which a gateway counts as ready only once it answered
 * ready for `graceMs`: HAProxy sends it traffic again only after two health checks 500 ms apart, so
 * a gateway that just got ready is not yet a live instance for the users behind the front door.
 */
export function withFrontDoorGrace(target: ChaosTarget, graceMs = 2000, now: () => number = Date.now): ChaosTarget {
  const readySince = new Map<string, number>();
  return Object.assign(Object.create(target) as ChaosTarget, {
    async status() {
      const status = await target.status();
      return {
        ...status,
        instances: status.instances.map((i) => {
          if (i.service !== 'gateway') return i;
          if (!(i.state === 'running' && i.ready)) {
            readySince.delete(i.id);
            return i;
          }
          const since = readySince.get(i.id) ?? now();
          readySince.set(i.id, since);
          return now() - since >= graceMs ? i : { ...i, ready: false };
        }),
      };
    },
  });
}

/** The monkey of `failsoft monkey` (random SIGKILLs, never below one live instance per service, everything revived at the end) for the fault's length. */
async function monkey(ctx: FaultContext, everyMs: number, downMs: number): Promise<void> {
  ctx.mark('monkey starts');
  const result = await runMonkey(
    withFrontDoorGrace(ctx.target),
    { everyMs, forMs: ctx.faultMs, downMs, services: SCENARIO_SERVICES, allowZero: false, signal: 'KILL', random: ctx.random },
    {
      out: (line) => {
        ctx.log(`monkey: ${line}`);
        const m = /\b(kill|revive) ([a-z]+-\d+)/.exec(line);
        if (m) ctx.mark(`${m[1] === 'kill' ? 'SIGKILL' : 'revive'} ${m[2]}`);
      },
      err: (line) => ctx.log(`monkey: ${line}`),
    },
  );
  ctx.mark('monkey stops');
  if (result.notRevived.length) throw new Error(`the monkey could not revive ${result.notRevived.join(', ')}`);
  ctx.log(`monkey: ${result.kills} kills, ${result.revives} revives, ${result.skipped} ticks skipped (no instance could go)`);
}

/**
 * The fail-soft contract lets writes fail while Sentinel fails over ("resumes after failover"):
 * likes, unlikes and uploads may fail during a Redis master failure; reads may not, and no
 * acknowledged write may be lost.
 */
export const REDIS_FAILOVER_EXEMPTION: Exemption = {
  endpoints: ['like', 'unlike', 'create'],
  reason: 'Redis master failover: the contract lets writes fail until the failover completes ("resumes after failover"); reads must not fail, no acknowledged write may be lost',
};

/**
 * The front door to hit: the one holding the virtual address (compose: role MASTER), else the
 * first running one (npm start: both are active).
 */
export async function pickFrontDoor(target: ChaosTarget): Promise<string> {
  const doors = (await target.status()).instances.filter((i) => i.service === 'haproxy');
  if (doors.length < 2) throw new Error(`the front door is not a pair here (${doors.map((d) => d.id).join(', ') || 'none'}): nothing keeps accepting when it fails`);
  const chosen = doors.find((d) => d.role === 'MASTER' && d.state === 'running') ?? doors.find((d) => d.state === 'running');
  if (!chosen) throw new Error(`no front door is running (${doors.map((d) => `${d.id} ${d.state}`).join(', ')})`);
  return chosen.id;
}

function frontDoorFault(signal: 'KILL' | 'STOP'): ScenarioDefinition {
  const kill = signal === 'KILL';
  return {
    name: kill ? 'kill-front-door' : 'stop-front-door',
    title: kill
      ? 'SIGKILL one front door (compose: the MASTER holding the virtual address), hold it down, revive it'
      : 'SIGSTOP one front door (hung; compose: the MASTER, paused), then SIGCONT it: the hung one must stop receiving traffic',
    async fault(ctx) {
      const id = await pickFrontDoor(ctx.target);
      ctx.mark(`SIG${signal} ${id}`);
      ctx.log(`SIG${signal} ${id} (${kill ? 'held down' : 'hung'} for ${ctx.faultMs / 1000} s)`);
      await ctx.target.kill(id, signal);
      await ctx.hold(ctx.faultMs);
      ctx.mark(`${kill ? 'revive' : 'SIGCONT'} ${id}`);
      ctx.log(`${kill ? 'revive' : 'SIGCONT'} ${id}`);
      await ctx.target.revive(id);
    },
  };
}

/** Every scenario, in the order `all` runs them. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  ...SCENARIO_SERVICES.map(killOne),
  killAll('likes', { endpoints: ['like', 'unlike'], reason: 'all of likes down: the contract answers like/unlike with 503 + Retry-After' }),
  killAll('upload', { endpoints: ['create'], reason: 'all of upload down: the contract answers create post with 503' }),
  killAll('feed', undefined),
  {
    name: 'redis-master-kill',
    title: 'SIGKILL the Redis master (Sentinel fails over; it comes back as a replica)',
    exempt: REDIS_FAILOVER_EXEMPTION,
    faultMs: { full: 20_000, short: 8000 },
    async fault(ctx) {
      ctx.mark('SIGKILL redis master');
      const old = await ctx.target.redisKillMaster();
      ctx.log(`SIGKILL the Redis master ${old}; the sentinels fail over`);
      await ctx.hold(ctx.faultMs);
      ctx.mark('fault ends');
    },
  },
  {
    name: 'redis-master-stop',
    title: 'SIGSTOP the Redis master (hung; Sentinel fails over), then SIGCONT it',
    exempt: REDIS_FAILOVER_EXEMPTION,
    faultMs: { full: 20_000, short: 8000 },
    async fault(ctx) {
      ctx.mark('SIGSTOP redis master');
      const old = await ctx.target.redisPauseMaster();
      ctx.log(`SIGSTOP the Redis master ${old} (held ${ctx.faultMs / 1000} s)`);
      await ctx.hold(ctx.faultMs);
      ctx.mark('SIGCONT');
      ctx.log(`SIGCONT ${old}`);
      await ctx.target.redisResume();
    },
  },
  {
    name: 'kill-one-sentinel',
    title: 'SIGKILL one sentinel, hold it down, revive it',
    async fault(ctx) {
      ctx.mark('kill sentinel 1');
      ctx.log('kill sentinel 0 (held down)');
      await ctx.target.killSentinel(0);
      await ctx.hold(ctx.faultMs);
      ctx.mark('revive sentinel 1');
      ctx.log('revive sentinel 0');
      await ctx.target.reviveSentinel(0);
    },
  },
  {
    name: 'stop-one-likes',
    title: 'SIGSTOP one likes instance (hung), then SIGCONT it',
    async fault(ctx) {
      const [id] = await ctx.target.instancesOf('likes');
      ctx.mark(`SIGSTOP ${id}`);
      ctx.log(`SIGSTOP ${id} (hung for ${ctx.faultMs / 1000} s)`);
      await ctx.target.kill(id, 'STOP');
      await ctx.hold(ctx.faultMs);
      ctx.mark(`SIGCONT ${id}`);
      ctx.log(`SIGCONT ${id}`);
      await ctx.target.revive(id);
    },
  },
  frontDoorFault('KILL'),
  frontDoorFault('STOP'),
  {
    name: 'delay-likes',
    title: 'fault rule: 500 ms delay on every likes call, then remove it',
    async fault(ctx) {
      ctx.mark('add 500 ms delay');
      ctx.log(`fault rule ${DELAY_RULE_ID}: delay likes by 500 ms (100% of calls)`);
      await ctx.target.addFault({ id: DELAY_RULE_ID, service: 'likes', method: '*', delayMs: 500, delayPercent: 100 });
      await ctx.hold(ctx.faultMs);
      ctx.mark('remove delay');
      ctx.log(`remove fault rule ${DELAY_RULE_ID}`);
      await ctx.target.removeFault(DELAY_RULE_ID);
    },
  },
  {
    name: 'rolling-restart',
    title: 'SIGTERM every instance of every service one at a time, waiting for each to be ready again',
    async fault(ctx) {
      for (const service of SCENARIO_SERVICES) {
        for (const id of await ctx.target.instancesOf(service)) {
          ctx.mark(`SIGTERM ${id}`);
          ctx.log(`rolling restart: SIGTERM ${id} (drains), start it again, wait until ready`);
          await ctx.target.kill(id, 'TERM');
          await ctx.target.revive(id);
          await waitInstanceReady(ctx.target, id);
          // whole again (for a gateway: the front door routes to it again) before the next one
          await ctx.target.waitForHealthy(120_000);
        }
      }
      ctx.mark('rolling restart done');
    },
  },
  ZONE_OUTAGE,
  {
    name: 'monkey',
    title: 'chaos monkey: random SIGKILLs for 60 s, never below one live instance per service',
    faultMs: { full: 60_000, short: 15_000 },
    fault: (ctx) => monkey(ctx, ctx.faultMs >= 30_000 ? 4000 : 2500, ctx.faultMs >= 30_000 ? 4000 : 3000),
  },
];

/** The scenario named `name`, or undefined. */
export function findScenario(name: string): ScenarioDefinition | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
