import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appOf, cleanEnv, commandOf, COMPOSE_SECRETS, composeConfig, emptyEnvFile, dependsOn, mountsOf, portsOf, roleOf, testSecrets, type ComposeConfig, type ComposeService } from './support/compose';
import { composeMtlsRule } from './support/compose-mtls-rules';
import { describeRun, readText, requireTool, run, workspace } from './support/tools';

/**
 * docker-compose.yml: accepted by Compose, and the topology of docs/design.md (1 Redis master, 2
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
    const result = run(requireTool('docker-compose'), ['--env-file', emptyEnvFile(), '-f', 'docker-compose.yml', 'config', '-q'], { env: cleanEnv(testSecrets()) });
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
    // and once the one-shot certs job has written the mutual-TLS certificates
    for (const [name, service] of byRole('app')) expect({ name, dependsOn: dependsOn(service) }).toEqual({ name, dependsOn: { ...sentinels, certs: 'service_completed_successfully' } });
  });

  it('turns mutual TLS on for every app: GRPC_TLS_DIR is its own service\'s certs folder, the certs volume is mounted read-only, the certs job has completed', () => {
    expect(composeMtlsRule(config)).toEqual([]);
    // the folders are per service (both instances of an app share one), so npm start keeps the token alone (platform-agreement)
    expect(Object.fromEntries(byRole('app').map(([name, s]) => [name, s.environment?.['GRPC_TLS_DIR']]))).toMatchObject({ 'likes-1': '/etc/failsoft/grpc-certs/likes', 'gateway-2': '/etc/failsoft/grpc-certs/gateway' });
  });

  it('reports the app whose mutual TLS is broken (the rule above can fail)', () => {
    const broken = structuredClone(config);
    const env = (name: string) => broken.services[name].environment ?? {};
    env('likes-1')['GRPC_TLS_DIR'] = '/etc/failsoft/grpc-certs/gateway'; // another service's identity
    delete env('feed-2')['GRPC_TLS_DIR'];
    broken.services['upload-1'].volumes = ['grpc-certs:/etc/failsoft/grpc-certs:rw'];
    broken.services['gateway-2'].depends_on = Object.fromEntries(Object.entries(dependsOn(broken.services['gateway-2'])).filter(([name]) => name !== 'certs').map(([name, condition]) => [name, { condition }]));
    expect(composeMtlsRule(broken).sort()).toEqual([
      'likes-1: GRPC_TLS_DIR is /etc/failsoft/grpc-certs/gateway, expected /etc/failsoft/grpc-certs/likes (its own service\'s certificate)',
      'feed-2: GRPC_TLS_DIR is unset, expected /etc/failsoft/grpc-certs/feed (its own service\'s certificate)',
      'upload-1: mounts grpc-certs writable; mount it read-only (:ro)',
      'gateway-2: depends on certs with nothing, expected service_completed_successfully',
    ].sort());
    const noCerts = structuredClone(config);
    delete noCerts.services['certs'];
    expect(composeMtlsRule(noCerts)).toEqual([expect.stringMatching(/^no certs service/)]);
  });

  it('has a front-door pair (HAProxy + keepalived, FROM the stock HAProxy image) over both gateways, and a relay publishing 8080 to their VIP', () => {
    const doors = byRole('front-door');
    expect(doors.map(([name]) => name)).toEqual(['front-door-1', 'front-door-2']);
    const gateways = byRole('app').filter(([, s]) => appOf(s) === 'gateway').map(([name]) => name);
    const vip = '172.29.57.70';
    for (const [name, service] of doors) {
      expect({ name, base: service.build?.args?.['HAPROXY_IMAGE'] }).toEqual({ name, base: expect.stringMatching(/^haproxy:\d+\.\d+/) });
      expect(Object.keys(dependsOn(service)).sort()).toEqual(gateways.sort());
      expect(portsOf(service)).toEqual([]);
      const cfg = mountsOf(service).find((v) => v.target === '/usr/local/etc/haproxy/haproxy.cfg');
      expect(cfg).toEqual({ type: 'bind', source: join(workspace, 'deploy', 'haproxy', 'haproxy.cfg'), target: '/usr/local/etc/haproxy/haproxy.cfg', readOnly: true });
      // only what keepalived needs, on these two containers only
      expect({ name, drop: service.cap_drop, add: [...(service.cap_add ?? [])].sort(), readOnly: service.read_only }).toEqual({ name, drop: ['ALL'], add: ['KILL', 'NET_ADMIN', 'NET_RAW', 'SETGID', 'SETUID'], readOnly: true });
      expect(service.environment?.['FRONT_DOOR_VIP']).toBe(vip);
    }
    // each names the other as its VRRP peer; priorities differ (front-door-1 wins the first election)
    const env = (i: number) => doors[i][1].environment ?? {};
    expect([env(0)['FRONT_DOOR_PEER_IP'], env(1)['FRONT_DOOR_PEER_IP']]).toEqual([env(1)['FRONT_DOOR_SELF_IP'], env(0)['FRONT_DOOR_SELF_IP']]);
    expect(Number(env(0)['FRONT_DOOR_PRIORITY'])).toBeGreaterThan(Number(env(1)['FRONT_DOOR_PRIORITY']));
    const [relay, ...others] = byRole('vip-relay');
    expect(others).toEqual([]);
    const [, service] = relay;
    expect(service.image).toMatch(/^haproxy:\d+\.\d+/);
    expect(portsOf(service)).toEqual(['8080:8080']);
    expect(service.environment?.['FRONT_DOOR_VIP']).toBe(vip);
    expect({ drop: service.cap_drop, add: service.cap_add }).toEqual({ drop: ['ALL'], add: undefined });
    expect(mountsOf(service).find((v) => v.target === '/usr/local/etc/haproxy/haproxy.cfg')?.source).toBe(join(workspace, 'deploy', 'haproxy', 'vip-forwarder.cfg'));
    // no other container may add or remove addresses
    for (const [name, s] of Object.entries(config.services)) if (roleOf(s) !== 'front-door') expect({ name, add: s.cap_add ?? [] }).toEqual({ name, add: [] });
  });

  it('publishes FRONT_DOOR_PORT when set', () => {
    const moved = composeConfig({ FRONT_DOOR_PORT: '9090' });
    expect(portsOf(Object.values(moved.services).find((s) => roleOf(s) === 'vip-relay'))).toEqual(['9090:8080']);
  });

  it('takes every base image from a variable whose default is the official image (a registry-less machine sets stand-ins)', () => {
    const images = (c: ComposeConfig): Record<string, string | undefined> =>
      Object.fromEntries(Object.entries(c.services).map(([name, s]) => [name, roleOf(s) === 'app' || roleOf(s) === 'certs' ? s.build?.args?.['NODE_IMAGE'] : roleOf(s) === 'front-door' ? s.build?.args?.['HAPROXY_IMAGE'] : s.image]));
    const defaults = images(config);
    const standIns = images(composeConfig({ FAILSOFT_NODE_IMAGE: 'local/node:20', FAILSOFT_REDIS_IMAGE: 'local/redis:7', FAILSOFT_HAPROXY_IMAGE: 'local/haproxy:2' }));
    for (const [name, service] of Object.entries(config.services)) {
      const role = roleOf(service);
      const expected = role === 'app' || role === 'certs' ? ['node:22-bookworm-slim@sha256:f576cc608b02e6b04bb0700e13be83eb5ceb7bb24584c3181b0f4ecfa0cd0edf', 'local/node:20'] : role === 'front-door' || role === 'vip-relay' ? ['haproxy:2.8@sha256:bbec126b29d3dbc06437d2ea6694119467ea5c85ed6e487d28bb81a5a7e31805', 'local/haproxy:2'] : ['redis:7.2-bookworm@sha256:0637954999d01b7c9ce9167db2da50656e2590d3b884f1c600c5f63bb6e6773c', 'local/redis:7'];
      expect({ name, official: defaults[name], standIn: standIns[name] }).toEqual({ name, official: expected[0], standIn: expected[1] });
    }
  });

  it('gives every container its own fixed address, outside the range handed out to others (a restarted container never inherits another\'s)', () => {
    const network = (config as unknown as { networks?: { default?: { ipam?: { config?: Array<{ subnet?: string; ip_range?: string }> } } } }).networks?.default?.ipam?.config?.[0];
    expect(network).toEqual({ subnet: '172.29.57.0/24', ip_range: '172.29.57.128/25' });
    // the certs job has no network at all (network_mode: none)
    expect(config.services['certs']?.['network_mode']).toBe('none');
    const addresses = Object.entries(config.services).filter(([, s]) => roleOf(s) !== 'certs').map(([name, s]) => [name, (s['networks'] as { default?: { ipv4_address?: string } } | undefined)?.default?.ipv4_address] as const);
    for (const [name, address] of addresses) expect({ name, address }).toEqual({ name, address: expect.stringMatching(/^172\.29\.57\.([2-9]|[1-9]\d|1[01]\d|12[0-7])$/) });
    expect(new Set(addresses.map(([, a]) => a)).size).toBe(addresses.length);
  });

  it('puts the fixed names of Redis and the sentinels in /etc/hosts of Redis, the sentinels and the apps (no DNS lookup that could stall a sentinel into TILT)', () => {
    const addressOf = (name: string): string | undefined => (config.services[name]?.['networks'] as { default?: { ipv4_address?: string } } | undefined)?.default?.ipv4_address;
    const expected = [...byRole('redis'), ...byRole('sentinel')].map(([name]) => `${name}:${addressOf(name)}`).sort();
    expect(expected).toHaveLength(6);
    for (const [name, service] of [...byRole('redis'), ...byRole('sentinel'), ...byRole('app')]) {
      // docker-compose v1 writes a list of "name:ip", v2 may write a map
      const hosts = service['extra_hosts'];
      const entries = Array.isArray(hosts) ? hosts.map(String) : Object.entries((hosts ?? {}) as Record<string, string>).map(([h, ip]) => `${h}:${ip}`);
      expect({ name, hosts: entries.map((e) => e.replace('=', ':')).sort() }).toEqual({ name, hosts: expected });
    }
  });

  it('gives every service a health check and a restart policy (the one-shot certs job: neither)', () => {
    expect(byRole('certs').map(([name, s]) => ({ name, restart: s.restart }))).toEqual([{ name: 'certs', restart: 'no' }]);
    for (const [name, service] of Object.entries(config.services).filter(([, s]) => roleOf(s) !== 'certs')) {
      const test = service.healthcheck?.test;
      expect({ name, healthcheck: Array.isArray(test) && test.length > 1 && test[0] !== 'NONE' && !service.healthcheck?.disable }).toEqual({ name, healthcheck: true });
      expect({ name, restart: ['always', 'unless-stopped'].includes(service.restart ?? '') }).toEqual({ name, restart: true });
    }
  });

  it('builds every app from deploy/docker/Dockerfile as one image and checks /livez in it', () => {
    const images = new Set<string>();
    for (const [name, service] of byRole('app')) {
      expect({ name, build: service.build }).toEqual({ name, build: { context: workspace, dockerfile: 'deploy/docker/Dockerfile', args: { NODE_IMAGE: 'node:22-bookworm-slim@sha256:f576cc608b02e6b04bb0700e13be83eb5ceb7bb24584c3181b0f4ecfa0cd0edf' } } });
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

  it('pins third-party images by tag and digest (name:tag@sha256:...), ours to a version (no latest)', () => {
    for (const [name, service] of Object.entries(config.services)) {
      const pattern = roleOf(service) === 'app' || roleOf(service) === 'certs' || roleOf(service) === 'front-door' ? /^[a-z0-9./-]+:(?!latest$)[\w.-]+$/ : /^[a-z0-9./-]+:(?!latest@)[\w.-]+@sha256:[0-9a-f]{64}$/;
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(pattern) });
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

  it('has no default secret: it refuses to start without each one, and takes them from the environment (or the .env npm run compose:secrets writes)', () => {
    const bin = requireTool('docker-compose');
    for (const name of COMPOSE_SECRETS.filter((n) => n !== 'OPERATOR_PASSWORD' && n !== 'FAILSOFT_CONTROL_TOKEN')) {
      const env = cleanEnv(testSecrets());
      delete env[name];
      const result = run(bin, ['--env-file', emptyEnvFile(), '-f', 'docker-compose.yml', 'config', '-q'], { env });
      expect({ name, status: result.status === 0 ? 'accepted' : 'refused', says: /npm run compose:secrets/.test(result.stderr) }).toEqual({ name, status: 'refused', says: true });
    }
    const secrets = testSecrets();
    const config = composeConfig();
    for (const [name, service] of Object.entries(config.services)) {
      const env = service.environment ?? {};
      if (roleOf(service) === 'app') {
        expect({ name, token: env['FAILSOFT_TOKEN'], sentinel: env['REDIS_SENTINEL_PASSWORD'] }).toEqual({ name, token: secrets['FAILSOFT_TOKEN'], sentinel: secrets['REDIS_SENTINEL_PASSWORD'] });
        const app = appOf(service) as string;
        expect({ name, user: env['REDIS_USERNAME'], password: env['REDIS_PASSWORD'] }).toEqual({ name, user: app, password: secrets[`REDIS_${app.toUpperCase()}_PASSWORD`] });
        if (app === 'gateway') expect(env['AUTH_SECRET']).toBe(secrets['AUTH_SECRET']);
      }
      if (roleOf(service) === 'redis' || roleOf(service) === 'sentinel') {
        for (const secret of COMPOSE_SECRETS.filter((n) => n.startsWith('REDIS_'))) expect({ name, secret, value: env[secret] }).toEqual({ name, secret, value: secrets[secret] });
        expect({ name, cli: env['REDISCLI_AUTH'] }).toEqual({ name, cli: secrets[roleOf(service) === 'redis' ? 'REDIS_ADMIN_PASSWORD' : 'REDIS_SENTINEL_PASSWORD'] });
      }
    }
    const text = readText('docker-compose.yml');
    expect(text).not.toMatch(/(TOKEN|SECRET|PASSWORD)[A-Z_]*:-[^}]/); // no ${SECRET:-default} anywhere
  });

  it('hardens every container: read-only root, no capability, no-new-privileges, memory and pid limits', () => {
    for (const [name, service] of Object.entries(composeConfig().services)) {
      expect({
        name,
        readOnly: service['read_only'],
        capDrop: service['cap_drop'],
        noNewPrivileges: (service['security_opt'] as string[] | undefined)?.includes('no-new-privileges:true'),
        memory: /^[1-9]\d*[kmg]?$/i.test(String(service['mem_limit'])),
        pids: Number(service['pids_limit']) > 0,
      }).toEqual({ name, readOnly: true, capDrop: ['ALL'], noNewPrivileges: true, memory: true, pids: true });
    }
  });

  it('is rejected by docker-compose when broken (the check above can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-e2e-compose-'));
    try {
      writeFileSync(join(dir, 'docker-compose.yml'), readText('docker-compose.yml').replace('restart: unless-stopped', 'restart: [not, a, string]'));
      const result = run(requireTool('docker-compose'), ['--env-file', emptyEnvFile(), '-f', join(dir, 'docker-compose.yml'), 'config', '-q'], { env: cleanEnv(testSecrets()) });
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

  it('deploy/haproxy/vip-forwarder.cfg (the relay to the VIP) passes `haproxy -c` with the VIP of docker-compose.yml, in tcp mode', () => {
    const result = run(requireTool('haproxy'), ['-c', '-f', 'deploy/haproxy/vip-forwarder.cfg'], { env: { ...process.env, FRONT_DOOR_VIP: '172.29.57.70' } });
    expect({ status: result.status, output: describeRun('haproxy -c', result) }).toMatchObject({ status: 0 });
    expect(readText('deploy/haproxy/vip-forwarder.cfg')).toMatch(/^\s*mode tcp$/m);
  });

  it('sends traffic to exactly the gateways of docker-compose.yml on their HTTP port', () => {
    const config = composeConfig();
    const gateways = Object.entries(config.services).filter(([, s]) => appOf(s) === 'gateway');
    const servers = [...readText('deploy/haproxy/haproxy.cfg').matchAll(/^\s*server\s+(\S+)\s+(\S+):(\d+)/gm)].map((m) => ({ id: m[1], host: m[2], port: m[3] }));
    expect(servers).toEqual(gateways.map(([name, s]) => ({ id: name, host: name, port: s.environment?.['HTTP_PORT'] })));
  });
});
