import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appOf, cleanEnv, commandOf, composeConfig, dependsOn, mountsOf, portsOf, roleOf, type ComposeConfig, type ComposeService } from './support/compose';
import { describeRun, readText, requireTool, run, workspace } from './support/tools';

/**
 * docker-compose.yml: accepted by Compose, and the topology of DESIGN.md (1 Redis master, 2
 * replicas, 3 sentinels, 2 instances of each app, the front door), with health checks, restart
 * policies and health-conditioned start order everywhere. No Docker engine is needed.
 */
describe('docker-compose.yml', () => {
  let config: ComposeConfig;
  const byRole = (role: ReturnType<typeof roleOf>): Array<[string, ComposeService]> => Object.entries(config.services).filter(([, s]) => roleOf(s) === role);

  beforeAll(() => {
    config = composeConfig();
  });

  it('is accepted by `docker-compose config -q` without warnings', () => {
    const result = run(requireTool('docker-compose'), ['-f', 'docker-compose.yml', 'config', '-q'], { env: cleanEnv() });
    expect({ status: result.status, output: describeRun('docker-compose config -q', result) }).toEqual({ status: 0, output: 'docker-compose config -q exited 0' });
  });

  it('has no service it cannot classify', () => {
    expect(Object.entries(config.services).filter(([, s]) => roleOf(s) === 'unknown').map(([name]) => name)).toEqual([]);
  });

  it('runs one Redis master and two replicas of it', () => {
    const nodes = byRole('redis');
    expect(nodes).toHaveLength(3);
    const masters = nodes.filter(([, s]) => s.environment?.['ANNOUNCE_HOST'] === s.environment?.['INITIAL_MASTER_HOST']);
    expect(masters.map(([name]) => name)).toHaveLength(1);
    const [masterName] = masters[0];
    for (const [name, service] of nodes) {
      expect({ name, announce: service.environment?.['ANNOUNCE_HOST'], master: service.environment?.['INITIAL_MASTER_HOST'] }).toEqual({ name, announce: name, master: masterName });
      if (name !== masterName) expect({ name, dependsOn: dependsOn(service) }).toEqual({ name, dependsOn: { [masterName]: 'service_healthy' } });
    }
  });

  it('runs three sentinels watching that master, started once it is healthy', () => {
    const sentinels = byRole('sentinel');
    expect(sentinels).toHaveLength(3);
    const [[masterName]] = byRole('redis').filter(([, s]) => s.environment?.['ANNOUNCE_HOST'] === s.environment?.['INITIAL_MASTER_HOST']);
    const addresses = sentinels.map(([name]) => `${name}:26379`).join(',');
    for (const [name, service] of sentinels) {
      expect({ name, env: service.environment }).toMatchObject({ name, env: { ANNOUNCE_HOST: name, INITIAL_MASTER_HOST: masterName, SENTINELS: addresses } });
      expect({ name, dependsOn: dependsOn(service) }).toEqual({ name, dependsOn: { [masterName]: 'service_healthy' } });
    }
    for (const [name, service] of byRole('redis')) expect({ name, sentinels: service.environment?.['SENTINELS'] }).toEqual({ name, sentinels: addresses });
  });

  it('keeps Redis and Sentinel state in named volumes', () => {
    for (const [name, service] of [...byRole('redis'), ...byRole('sentinel')]) {
      const data = mountsOf(service).find((v) => v.target === '/data');
      expect({ name, data: data && { type: data.type, declared: data.source !== undefined && data.source in (config.volumes ?? {}) } }).toEqual({ name, data: { type: 'volume', declared: true } });
    }
  });

  it('runs two instances of each app, each with its own id, zone and advertised name', () => {
    const apps = byRole('app');
    const perApp = new Map<string, string[]>();
    for (const [name, service] of apps) perApp.set(appOf(service) ?? '?', [...(perApp.get(appOf(service) ?? '?') ?? []), name]);
    expect(Object.fromEntries([...perApp].map(([app, names]) => [app, names.length]))).toEqual({ gateway: 2, upload: 2, likes: 2, feed: 2 });
    for (const [name, service] of apps) {
      expect({ name, env: service.environment }).toMatchObject({ name, env: { INSTANCE_ID: name, ADVERTISE_HOST: name, BIND_HOST: '0.0.0.0' } });
    }
    for (const names of perApp.values()) {
      const zones = new Set(names.map((n) => config.services[n].environment?.['ZONE']));
      expect(zones.size).toBe(names.length); // the two instances of an app sit in different zones
    }
  });

  it('points every app at all the sentinels and the master name they watch', () => {
    const sentinels = byRole('sentinel').map(([name]) => `${name}:26379`).join(',');
    const masterNames = new Set(byRole('sentinel').map(([, s]) => s.environment?.['REDIS_MASTER_NAME']));
    expect(masterNames.size).toBe(1);
    for (const [name, service] of byRole('app')) {
      expect({ name, sentinels: service.environment?.['REDIS_SENTINELS'], master: service.environment?.['REDIS_MASTER_NAME'] }).toEqual({ name, sentinels, master: [...masterNames][0] });
    }
  });

  it('starts apps once every sentinel is healthy', () => {
    const sentinels = Object.fromEntries(byRole('sentinel').map(([name]) => [name, 'service_healthy']));
    for (const [name, service] of byRole('app')) expect({ name, dependsOn: dependsOn(service) }).toEqual({ name, dependsOn: sentinels });
  });

  it('has a front door from a stock HAProxy image over both gateways, published on 8080', () => {
    const [frontDoor, ...others] = byRole('front-door');
    expect(others).toEqual([]);
    const [, service] = frontDoor;
    expect(service.image).toMatch(/^haproxy:\d+\.\d+/);
    const gateways = byRole('app').filter(([, s]) => appOf(s) === 'gateway').map(([name]) => name);
    expect(Object.keys(dependsOn(service)).sort()).toEqual(gateways.sort());
    expect(portsOf(service)).toEqual(['8080:8080']);
    const cfg = mountsOf(service).find((v) => v.target === '/usr/local/etc/haproxy/haproxy.cfg');
    expect(cfg).toEqual({ type: 'bind', source: join(workspace, 'deploy', 'haproxy', 'haproxy.cfg'), target: '/usr/local/etc/haproxy/haproxy.cfg', readOnly: true });
  });

  it('publishes FRONT_DOOR_PORT when set', () => {
    const moved = composeConfig({ FRONT_DOOR_PORT: '9090' });
    expect(portsOf(Object.values(moved.services).find((s) => roleOf(s) === 'front-door'))).toEqual(['9090:8080']);
  });

  it('gives every service a health check and a restart policy', () => {
    for (const [name, service] of Object.entries(config.services)) {
      const test = service.healthcheck?.test;
      expect({ name, healthcheck: Array.isArray(test) && test.length > 1 && test[0] !== 'NONE' && !service.healthcheck?.disable }).toEqual({ name, healthcheck: true });
      expect({ name, restart: ['always', 'unless-stopped'].includes(service.restart ?? '') }).toEqual({ name, restart: true });
    }
  });

  it('builds every app from deploy/docker/Dockerfile as one image and checks /livez in it', () => {
    const images = new Set<string>();
    for (const [name, service] of byRole('app')) {
      expect({ name, build: service.build }).toEqual({ name, build: { context: workspace, dockerfile: 'deploy/docker/Dockerfile' } });
      images.add(service.image ?? '');
      expect({ name, healthcheck: service.healthcheck?.test }).toEqual({ name, healthcheck: ['CMD', 'node', '/app/healthcheck.js', '/livez'] });
      expect({ name, init: service['init'] }).toEqual({ name, init: true });
    }
    expect(images.size).toBe(1);
    expect(existsSync(join(workspace, 'deploy', 'docker', 'Dockerfile'))).toBe(true);
  });

  it('gives apps longer to stop than their 10 s drain', () => {
    for (const [name, service] of byRole('app')) {
      const grace = /^(\d+)s$/.exec(String(service['stop_grace_period'] ?? ''));
      expect({ name, graceOver10s: grace !== null && Number(grace[1]) > 10 }).toEqual({ name, graceOver10s: true });
    }
  });

  it('uses images pinned to a version (no latest)', () => {
    for (const [name, service] of Object.entries(config.services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[a-z0-9./-]+:(?!latest$)[\w.-]+$/) });
    }
  });

  it('mounts only files that exist in the repository, read-only', () => {
    for (const [name, service] of Object.entries(config.services)) {
      const binds = mountsOf(service).filter((m) => m.type === 'bind');
      for (const mount of binds) {
        expect({ name, source: mount.source, exists: existsSync(mount.source ?? ''), readOnly: mount.readOnly }).toEqual({ name, source: mount.source, exists: true, readOnly: true });
      }
    }
  });

  it('has development defaults for the secrets that the apps accept, and takes real ones from the environment', () => {
    const gateway = byRole('app').find(([, s]) => appOf(s) === 'gateway')?.[1];
    expect(gateway?.environment?.['FAILSOFT_TOKEN']?.length).toBeGreaterThanOrEqual(16);
    expect(gateway?.environment?.['AUTH_SECRET']?.length).toBeGreaterThanOrEqual(32);
    const custom = composeConfig({ FAILSOFT_TOKEN: 'token-from-the-environment', AUTH_SECRET: 'a'.repeat(40) });
    for (const service of Object.values(custom.services).filter((s) => roleOf(s) === 'app')) {
      expect(service.environment?.['FAILSOFT_TOKEN']).toBe('token-from-the-environment');
      if (appOf(service) === 'gateway') expect(service.environment?.['AUTH_SECRET']).toBe('a'.repeat(40));
    }
  });

  it('is rejected by docker-compose when broken (the check above can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-e2e-compose-'));
    try {
      writeFileSync(join(dir, 'docker-compose.yml'), readText('docker-compose.yml').replace('restart: unless-stopped', 'restart: [not, a, string]'));
      const result = run(requireTool('docker-compose'), ['-f', join(dir, 'docker-compose.yml'), 'config', '-q'], { env: cleanEnv() });
      expect(result.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the commands of apps with node on a built entry point', () => {
    for (const [name, service] of byRole('app')) expect({ name, argv0: commandOf(service)[0], app: appOf(service) !== undefined }).toEqual({ name, argv0: 'node', app: true });
  });
});

/** The front door's HAProxy configuration is valid for HAProxy itself. */
describe('deploy/haproxy/haproxy.cfg', () => {
  it('passes `haproxy -c`', () => {
    const result = run(requireTool('haproxy'), ['-c', '-f', 'deploy/haproxy/haproxy.cfg']);
    expect({ status: result.status, output: describeRun('haproxy -c', result) }).toMatchObject({ status: 0 });
    // the only tolerated warnings: gateway names that do not resolve outside Docker
    const warnings = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.includes('[WARNING]') && !/could not resolve address 'gateway-\d+'/.test(l));
    expect(warnings).toEqual([]);
  });

  it('sends traffic to exactly the gateways of docker-compose.yml on their HTTP port', () => {
    const config = composeConfig();
    const gateways = Object.entries(config.services).filter(([, s]) => appOf(s) === 'gateway');
    const servers = [...readText('deploy/haproxy/haproxy.cfg').matchAll(/^\s*server\s+(\S+)\s+(\S+):(\d+)/gm)].map((m) => ({ id: m[1], host: m[2], port: m[3] }));
    expect(servers).toEqual(gateways.map(([name, s]) => ({ id: name, host: name, port: s.environment?.['HTTP_PORT'] })));
  });
});
