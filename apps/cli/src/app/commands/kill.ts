import { UsageError } from '../args';
import { checkTargetSyntax, chaosTargetFor, COMPOSE_FLAG, liveInstances, pickRandom, resolveTarget, runChaos, stamp } from '../chaos/chaos-cli';
import { CHAOS_SIGNALS, type ChaosSignal } from '../chaos/chaos-target';
import { ComposeChaosTarget } from '../chaos/compose-chaos-target';
import type { Command } from './command';

/** `failsoft kill <service>[/<instance>]`: kills (or pauses) instances and holds them down until `failsoft revive`. */
export const killCommand: Command = {
  name: 'kill',
  summary: 'kill (or pause) instances of a service and keep them down until `failsoft revive`',
  usage: 'failsoft kill <service>[/<instance>] [--signal KILL|TERM|STOP] [--one] [--compose [--hold]]',
  positionals: [{ name: 'target', valueName: '<service>[/<instance>]', description: 'likes (every instance), likes/likes-1 or likes-1 (one instance), haproxy', required: true }],
  details: [
    'KILL (default) crashes the process, TERM stops it gracefully (it drains); both keep it down:',
    'the supervisor does not restart it until `failsoft revive`. STOP pauses it (a hang) until revive.',
    'With --compose, KILL crashes the app inside its container and the restart policy brings it back',
    'within seconds (self-healing); --hold keeps it down instead (docker compose kill) until revive.',
    'Examples: failsoft kill likes   failsoft kill likes/likes-1   failsoft kill feed-1 --signal STOP   failsoft kill likes --one',
  ],
  flags: [
    { name: 'signal', type: 'choice', choices: CHAOS_SIGNALS, valueName: 'KILL|TERM|STOP', description: 'KILL (crash, default), TERM (graceful stop) or STOP (pause: a hung process)' },
    { name: 'one', type: 'boolean', description: 'kill one random live instance of the service instead of all of them' },
    { name: 'hold', type: 'boolean', description: 'with --compose and KILL: keep the container down (docker compose kill) instead of letting it heal' },
    COMPOSE_FLAG,
  ],
  async run(flags, ctx) {
    return runChaos(ctx, 'kill', async () => {
      const spec = String(flags['target'] ?? '');
      checkTargetSyntax('failsoft kill', spec);
      const signal = (flags['signal'] as ChaosSignal | undefined) ?? 'KILL';
      const target = chaosTargetFor(flags, ctx);
      const status = await target.status();
      const resolved = resolveTarget('failsoft kill', spec, status);
      let ids = resolved.ids;
      if (flags['one'] === true) {
        if (!resolved.all) throw new UsageError(`failsoft kill: --one picks one instance of a service; give the service (e.g. ${resolved.service}), not the instance ${resolved.ids[0]}`);
        const victim = pickRandom(liveInstances(status.instances, resolved.service));
        if (!victim) {
          ctx.io.err(`failsoft kill: ${resolved.service} has no live instance to kill (all held down or paused); see: failsoft status`);
          return 1;
        }
        ids = [victim.id];
      }
      const before = new Map(status.instances.map((i) => [i.id, i]));
      if (target instanceof ComposeChaosTarget && signal === 'KILL' && flags['hold'] !== true) {
        for (const id of ids) {
          const restarts = await target.crash(id);
          ctx.io.out(`${stamp()} crashed ${id} (SIGKILL inside its container, ${restarts} restarts so far); its restart policy brings it back (to keep it down: --hold)`);
        }
        return 0;
      }
      await Promise.all(
        ids.map(async (id) => {
          const was = before.get(id);
          await target.kill(id, signal);
          const what = signal === 'STOP' ? 'paused (SIGSTOP)' : signal === 'TERM' ? 'stopped (SIGTERM, drained)' : 'killed (SIGKILL)';
          ctx.io.out(`${stamp()} ${what} ${id}${was?.pid ? ` (pid ${was.pid})` : ''}; it stays down until: failsoft revive ${id}${flags['compose'] ? ' --compose' : ''}`);
        }),
      );
      if (resolved.all && flags['one'] !== true) ctx.io.out(`every instance of ${resolved.service} is down; revive them with: failsoft revive ${resolved.service}${flags['compose'] ? ' --compose' : ''}`);
      return 0;
    });
  },
};
