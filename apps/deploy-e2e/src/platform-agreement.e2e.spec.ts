import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_TOKEN_ENV, CONTROL_URL_ENV, PLATFORM_SERVICE_NAMES } from '@failsoft/contracts';
// The local platform's definition (`npm start`) is THE topology; docker compose and Kubernetes are
// checked against it. These modules are pure (data and string builders), read here, never run.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CONTAINER_ONLY_ENV, FRONT_DOOR, LOCAL_ONLY_ENV, REDIS, SERVICES, instanceEnv, instanceIdentities, platformTopology, type InstanceIdentity } from '../../cli/src/app/topology';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { haproxyConfig } from '../../cli/src/app/haproxy';
import { appOf, commandOf, composeConfig, portsOf, roleOf, type ComposeConfig, type ComposeService } from './support/compose';
import { parseDockerfile, parseCopy, stagesOf } from './support/dockerfile';
import { kustomize, podSpecOf, type K8sObject } from './support/k8s';
import { readText, workspace } from './support/tools';

/**
 * One platform, three ways to run it: `npm start` (apps/cli/src/app/topology.ts), docker-compose.yml
 * and deploy/k8s must agree on the services, the instance counts, the environment variable names
 * and the commands, and on the Redis and front-door settings.
 */
const topology = platformTopology();
/** The variables the local runner actually passes to an instance (ports and secrets are placeholders). */
function localEnvNames(identity: InstanceIdentity): string[] {
  // the local platform's Redis has ACL users too (secrets.json): each service gets its own user, as in compose and Kubernetes
  const redisAuth = { sentinelPassword: 'x'.repeat(16), servicePasswords: { upload: 'x'.repeat(16), likes: 'x'.repeat(16), feed: 'x'.repeat(16), gateway: 'x'.repeat(16) } };
  const shared = { sentinels: [{ host: '127.0.0.1', port: 1 }], failsoftToken: 'x'.repeat(16), authSecret: 'x'.repeat(32), redisAuth };
  return Object.keys(instanceEnv(identity, { httpPort: 1, grpcPort: 2 }, shared)).sort();
}
/** The services every deployment runs: the service catalogue of @failsoft/contracts. */
const serviceNames = [...PLATFORM_SERVICE_NAMES].sort();
/** The variables only containers set (their memory limit), by service. */
/** The mutual-TLS variables Kubernetes sets and `npm start` does not (components/mtls-apps). */
const MTLS_ENV = ['GRPC_TLS_DIR', 'GRPC_TLS_SERVER_NAME'];
const containerOnly = (service: string): string[] => (CONTAINER_ONLY_ENV[service as keyof typeof CONTAINER_ONLY_ENV] ?? []).map((v) => v.name);

describe('docker-compose.yml agrees with the local platform (apps/cli/src/app/topology.ts)', () => {
  let compose: ComposeConfig;
  let apps: Array<[string, ComposeService]>;

  beforeAll(() => {
    compose = composeConfig();
    apps = Object.entries(compose.services).filter(([, s]) => roleOf(s) === 'app');
  });

  it('runs the same services', () => {
    expect([...new Set(apps.map(([, s]) => appOf(s)))].sort()).toEqual(serviceNames);
  });

  it('runs the same number of instances of each', () => {
    const counts = Object.fromEntries(SERVICES.map((s) => [s.name, apps.filter(([, c]) => appOf(c) === s.name).length]));
    expect(counts).toEqual(Object.fromEntries(SERVICES.map((s) => [s.name, s.instances])));
  });

  it('gives the instances the same ids and zones', () => {
    const composeInstances = apps.map(([name, s]) => ({ id: name, service: appOf(s), instanceId: s.environment?.['INSTANCE_ID'], zone: s.environment?.['ZONE'] }));
    const local = topology.instances.map((i) => ({ id: i.id, service: i.service, instanceId: i.id, zone: i.zone }));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(composeInstances.sort(byId)).toEqual(local.sort(byId));
  });

  it('sets the same environment variable names on every instance (plus, optionally, the container-only ones)', () => {
    for (const identity of instanceIdentities()) {
      const service = compose.services[identity.id];
      // GRPC_TLS_DIR: compose turns mutual TLS on (its certs job; compose.e2e checks each app reads its own folder); npm start keeps the token alone
      const names = Object.keys(service?.environment ?? {}).filter((name) => !containerOnly(identity.service).includes(name) && name !== 'GRPC_TLS_DIR');
      expect({ instance: identity.id, env: names.sort() }).toEqual({ instance: identity.id, env: localEnvNames(identity) });
    }
  });

  it('leaves the local-only variables unset (LOCAL_ONLY_ENV: the control channel of `failsoft up`)', () => {
    for (const identity of instanceIdentities()) {
      const localOnly = (LOCAL_ONLY_ENV[identity.service] ?? []).map((v) => v.name);
      const set = Object.keys(compose.services[identity.id]?.environment ?? {});
      expect({ instance: identity.id, localOnlySet: set.filter((name) => localOnly.includes(name)) }).toEqual({ instance: identity.id, localOnlySet: [] });
    }
  });

  it('runs the same command, on an entry point that exists after a build', () => {
    for (const definition of SERVICES) {
      for (const [name, service] of apps.filter(([, s]) => appOf(s) === definition.name)) {
        expect({ name, command: commandOf(service) }).toEqual({ name, command: ['node', definition.main] });
      }
      const main = join(workspace, definition.main);
      if (!existsSync(main)) throw new Error(`${definition.main} is missing: run \`npx nx run-many -t build\` first (the e2e target depends on it)`);
    }
  });

  it('runs Redis as the local platform does: 1 master, the same replicas and sentinels, the same master name', () => {
    const redis = Object.values(compose.services).filter((s) => roleOf(s) === 'redis');
    const sentinels = Object.values(compose.services).filter((s) => roleOf(s) === 'sentinel');
    expect({ dataNodes: redis.length, sentinels: sentinels.length }).toEqual({ dataNodes: 1 + REDIS.replicas, sentinels: REDIS.sentinels });
    for (const service of [...redis, ...sentinels, ...apps.map(([, s]) => s)]) {
      expect(service.environment?.['REDIS_MASTER_NAME']).toBe(REDIS.masterName);
    }
  });

  it('tunes the sentinels as the local platform does (quorum, down-after, failover timeout)', () => {
    const conf = readText('deploy/redis/sentinel.conf');
    expect(/^sentinel monitor \S+ \S+ \S+ (\d+)$/m.exec(conf)?.[1]).toBe(String(REDIS.quorum));
    expect(/^sentinel down-after-milliseconds \S+ (\d+)$/m.exec(conf)?.[1]).toBe(String(REDIS.downAfterMs));
    expect(/^sentinel failover-timeout \S+ (\d+)$/m.exec(conf)?.[1]).toBe(String(REDIS.failoverTimeoutMs));
  });

  it('has the same front door: port, backend, health check, retries', () => {
    const frontDoor = Object.values(compose.services).find((s) => roleOf(s) === 'vip-relay');
    expect(portsOf(frontDoor)).toEqual([`${FRONT_DOOR.defaultPort}:8080`]);
    const cfg = readText('deploy/haproxy/haproxy.cfg');
    const backendIds = [...cfg.matchAll(/^\s*server\s+(\S+)\s/gm)].map((m) => m[1]);
    expect(backendIds).toEqual(topology.instances.filter((i) => i.service === FRONT_DOOR.backend).map((i) => i.id));
    expect(cfg).toMatch(new RegExp(`^\\s*option httpchk GET ${FRONT_DOOR.healthPath}$`, 'm'));
    const defaults = /^\s*default-server (.*)$/m.exec(cfg)?.[1] ?? '';
    expect({ inter: /\binter (\d+)\b/.exec(defaults)?.[1], fall: /\bfall (\d+)\b/.exec(defaults)?.[1], rise: /\brise (\d+)\b/.exec(defaults)?.[1] }).toEqual({
      inter: String(FRONT_DOOR.checkIntervalMs),
      fall: String(FRONT_DOOR.fall),
      rise: String(FRONT_DOOR.rise),
    });
    const local = haproxyConfig({ frontDoorPort: FRONT_DOOR.defaultPort, gateways: [{ id: 'gateway-1', host: '127.0.0.1', port: 1 }] });
    const retryLines = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => /^(retries|retry-on|option redispatch|balance)\b/.test(l)).sort();
    expect(retryLines(cfg)).toEqual(retryLines(local));
  });
});

describe('the image builds and ships exactly the services of the local platform', () => {
  it('builds and copies the same apps, plus the failsoft CLI (the compose control agent)', () => {
    const stages = stagesOf(parseDockerfile(readText('deploy/docker/Dockerfile')));
    const built = stages.flatMap((s) => s.instructions).map((i) => /nx run-many -t build -p ((?:\w+\s*)+)/.exec(i.args)?.[1]).find(Boolean);
    const withCli = [...serviceNames, 'cli'].sort();
    expect(built?.trim().split(/\s+/).sort()).toEqual(withCli);
    const final = stages[stages.length - 1];
    const copied = final.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).flatMap((c) => c.sources).map((src) => /dist\/apps\/([^/]+)$/.exec(src)?.[1]).filter(Boolean);
    expect(copied.sort()).toEqual(withCli);
  });
});

describe('deploy/k8s agrees with the local platform (apps/cli/src/app/topology.ts)', () => {
  let objects: K8sObject[];
  let base: K8sObject[];
  const deployment = (list: K8sObject[], name: string): K8sObject | undefined => list.find((o) => o.kind === 'Deployment' && o.metadata.name === name);

  beforeAll(() => {
    objects = kustomize('deploy/k8s');
    base = kustomize('deploy/k8s/base');
  });

  it('runs the same services', () => {
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort()).toEqual(serviceNames);
  });

  it('runs the same number of instances (base replicas, autoscaler minimum)', () => {
    for (const definition of SERVICES) {
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === definition.name);
      expect({ service: definition.name, replicas: deployment(base, definition.name)?.spec.replicas, minReplicas: hpa?.spec.minReplicas }).toEqual({
        service: definition.name,
        replicas: definition.instances,
        minReplicas: definition.instances,
      });
    }
  });

  it('sets the same environment variable names, plus the container-only ones (CONTAINER_ONLY_ENV: the memory limit)', () => {
    for (const definition of SERVICES) {
      const identity = topology.instances.find((i) => i.service === definition.name) as InstanceIdentity;
      const [container] = podSpecOf(deployment(objects, definition.name) as K8sObject).containers;
      const expected = [...localEnvNames(identity), ...containerOnly(definition.name)].sort();
      // GRPC_TLS_DIR and GRPC_TLS_SERVER_NAME: Kubernetes turns mutual TLS on (components/mtls-job); npm start keeps the token alone
      const names: string[] = container.env.map((e: { name: string }) => e.name);
      expect({ service: definition.name, env: names.filter((name) => !MTLS_ENV.includes(name)).sort(), mtls: MTLS_ENV.filter((name) => names.includes(name)) }).toEqual({ service: definition.name, env: expected, mtls: MTLS_ENV });
    }
  });

  it('leaves the local-only variables unset (LOCAL_ONLY_ENV: the control channel of `failsoft up`)', () => {
    for (const definition of SERVICES) {
      const localOnly = (LOCAL_ONLY_ENV[definition.name] ?? []).map((v) => v.name);
      const [container] = podSpecOf(deployment(objects, definition.name) as K8sObject).containers;
      const set = container.env.map((e: { name: string }) => e.name);
      expect({ service: definition.name, localOnlySet: set.filter((name: string) => localOnly.includes(name)) }).toEqual({ service: definition.name, localOnlySet: [] });
    }
  });

  it('runs the same command', () => {
    for (const definition of SERVICES) {
      const [container] = podSpecOf(deployment(objects, definition.name) as K8sObject).containers;
      expect({ service: definition.name, command: [...container.command, ...(container.args ?? [])] }).toEqual({ service: definition.name, command: ['node', definition.main] });
    }
  });

  it('runs Redis with the same shape and master name', () => {
    const sets = Object.fromEntries(objects.filter((o) => o.kind === 'StatefulSet').map((o) => [o.metadata.name, o.spec.replicas]));
    expect(sets).toEqual({ redis: 1 + REDIS.replicas, sentinel: REDIS.sentinels });
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('failsoft-config-'));
    expect(config?.data.REDIS_MASTER_NAME).toBe(REDIS.masterName);
  });
});

describe('the local-only variables (topology.ts LOCAL_ONLY_ENV)', () => {
  it('are exactly the control-channel variables the local platform gives its gateways, each with a reason, none also in a service env list', () => {
    expect(Object.fromEntries(Object.entries(LOCAL_ONLY_ENV).map(([service, vars]) => [service, (vars ?? []).map((v) => v.name).sort()]))).toEqual({
      gateway: [CONTROL_TOKEN_ENV, CONTROL_URL_ENV].sort(),
    });
    for (const vars of Object.values(LOCAL_ONLY_ENV)) for (const v of vars ?? []) expect(v.reason.length).toBeGreaterThan(20);
    for (const definition of SERVICES) {
      const localOnly = (LOCAL_ONLY_ENV[definition.name] ?? []).map((v) => v.name);
      expect({ service: definition.name, both: definition.env.filter((name) => localOnly.includes(name)) }).toEqual({ service: definition.name, both: [] });
    }
  });

  it('the container-only variables (CONTAINER_ONLY_ENV) are never set by the local platform, each with a reason', () => {
    for (const identity of instanceIdentities()) {
      expect({ instance: identity.id, set: localEnvNames(identity).filter((name) => containerOnly(identity.service).includes(name)) }).toEqual({ instance: identity.id, set: [] });
    }
    for (const vars of Object.values(CONTAINER_ONLY_ENV)) for (const v of vars ?? []) expect(v.reason.length).toBeGreaterThan(20);
  });
});
