import { platformTopology, DEFAULT_ZONES } from '../topology';
import type { Command } from './command';

/** `failsoft topology`: prints the platform definition (what `up` runs), e.g. to check a compose file against it. */
export const topologyCommand: Command = {
  name: 'topology',
  summary: 'print the platform definition (services, instances, env names, Redis, front door)',
  usage: 'failsoft topology [--json] [--zones <n>]',
  flags: [
    { name: 'json', type: 'boolean', description: 'print JSON (for scripts and deployment checks)' },
    { name: 'zones', type: 'integer', min: 1, max: 26, valueName: '<n>', description: `zones the instances alternate over (default ${DEFAULT_ZONES})` },
  ],
  async run(flags, ctx) {
    const topology = platformTopology(typeof flags['zones'] === 'number' ? flags['zones'] : DEFAULT_ZONES);
    if (flags['json']) {
      ctx.io.out(JSON.stringify(topology, null, 2));
      return 0;
    }
    const r = topology.redis;
    ctx.io.out(`redis: 1 master + ${r.replicas} replicas, ${r.sentinels} sentinels (quorum ${r.quorum}, down-after ${r.downAfterMs} ms), master name ${r.masterName}`);
    for (const service of topology.services) {
      const ids = topology.instances.filter((i) => i.service === service.name).map((i) => `${i.id} (${i.zone})`);
      ctx.io.out(`${service.name}: ${service.instances} instances: ${ids.join(', ')}${service.grpc ? ', gRPC' : ''}${service.public ? ', public HTTP behind the front door' : ''}`);
      ctx.io.out(`  env: ${service.env.join(' ')}`);
    }
    const f = topology.frontDoor;
    ctx.io.out(`front door: HAProxy on FRONT_DOOR_PORT (default ${f.defaultPort}) over the ${f.backend}s, GET ${f.healthPath} every ${f.checkIntervalMs} ms (fall ${f.fall}, rise ${f.rise})`);
    return 0;
  },
};
