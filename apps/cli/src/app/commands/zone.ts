import { UsageError } from '../args';
import { chaosTargetFor, COMPOSE_FLAG, runChaos, stamp } from '../chaos/chaos-cli';
import { describeZone, zoneDown, zoneUp } from '../chaos/zone-chaos';
import type { Command } from './command';

/** `failsoft zone down|up <zone>`: takes a whole zone out (held down) or brings it back. */
export const zoneCommand: Command = {
  name: 'zone',
  summary: 'take a whole zone down (its instances, Redis node and sentinel) or bring it back',
  usage: 'failsoft zone down|up <zone> [--compose]',
  positionals: [
    { name: 'action', valueName: 'down|up', description: 'down holds everything in the zone down until up', required: true },
    { name: 'zone', valueName: '<zone>', description: 'zone-a, zone-b or zone-c (see failsoft status)', required: true },
  ],
  details: [
    'down  SIGKILL every service instance, Redis data node and sentinel placed in <zone>, held down (nothing restarts)',
    'up    revive them all',
    'Redis nodes and sentinels are spread over zone-a, zone-b and zone-c (services over zone-a and zone-b),',
    'so losing any one zone keeps two of three sentinels: the quorum. Example: failsoft zone down zone-b',
  ],
  flags: [COMPOSE_FLAG],
  async run(flags, ctx) {
    return runChaos(ctx, 'zone', async () => {
      const action = String(flags['action'] ?? '');
      if (action !== 'down' && action !== 'up') throw new UsageError(`failsoft zone: unknown action ${JSON.stringify(action)}; actions are down, up`);
      const zone = String(flags['zone'] ?? '');
      const target = chaosTargetFor(flags, ctx);
      const compose = flags['compose'] ? ' --compose' : '';
      if (action === 'down') {
        const members = await zoneDown(target, zone);
        ctx.io.out(`${stamp()} ${zone} is down: killed ${describeZone(members)} (SIGKILL, held down until: failsoft zone up ${zone}${compose})`);
      } else {
        const members = await zoneUp(target, zone);
        ctx.io.out(`${stamp()} ${zone} is coming back: revived ${describeZone(members)} (see: failsoft status${compose})`);
      }
      return 0;
    });
  },
};
