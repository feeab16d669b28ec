import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeChaosTarget, DockerUnavailableError, parseComposePs, vrrpRole } from './compose-chaos-target';

/**
 * A stand-in `docker` (there is no Docker engine here): records its argv (one JSON line each) and
 * plays a tiny compose platform from a state file, enough to answer what the target asks.
 */
const STUB = `#!/usr/bin/env node
const fs = require('fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_LOG, JSON.stringify(args) + '\\n');
const state = JSON.parse(fs.readFileSync(process.env.STUB_STATE, 'utf8'));
// atomic (write + rename): the target runs some commands in parallel, and a reader must never see half a file
const save = () => { const tmp = process.env.STUB_STATE + '.' + process.pid; fs.writeFileSync(tmp, JSON.stringify(state)); fs.renameSync(tmp, process.env.STUB_STATE); };
const out = (t) => process.stdout.write(t);
if (args[0] === 'inspect') { out(JSON.stringify(args.slice(1).map((id) => ({ RestartCount: 3, State: { Pid: 42 }, Config: { Env: ['ZONE=zone-b'], Labels: { 'com.docker.compose.service': id.replace(/^id-/, '') } } })))); process.exit(0); }
if (args[0] !== 'compose') { process.stderr.write('unknown command'); process.exit(1); }
const [cmd, ...rest] = args.slice(1);
const set = (svc, s) => { if (!(svc in state.services)) { process.stderr.write('no such service: ' + svc); process.exit(1); } state.services[svc] = s; };
switch (cmd) {
  case 'ps': out(Object.entries(state.services).map(([Service, State]) => JSON.stringify({ Service, ID: 'id-' + Service, Name: 'failsoft-' + Service + '-1', State, Health: State === 'running' && !Service.startsWith('sentinel') && !Service.startsWith('redis') ? 'healthy' : '', ExitCode: (state.exitCodes || {})[Service] || 0 })).join('\\n') + '\\n'); break;
  case 'kill': set(rest[2], 'exited'); break;
  case 'stop': set(rest[0], 'exited'); break;
  case 'start': set(rest[0], 'running'); break;
  case 'pause': set(rest[0], 'paused'); break;
  case 'unpause': rest.forEach((s) => set(s, 'running')); break;
  case 'exec': {
    const svc = rest[1];
    const tool = rest.slice(2);
    if (tool[0] === 'sh') { state.crashed = (state.crashed || []).concat(svc); break; }
    if (tool[0] === 'cat') { out(svc === 'front-door-1' ? 'MASTER\\n' : 'BACKUP\\n'); break; }
    if (tool[0] === 'node') { out(JSON.stringify({ downstreams: [{ service: 'likes', breaker: 'closed', instances: [{ address: 'likes-1:50051', breaker: 'open' }] }] })); break; }
    const cli = tool[1] === '-p' ? tool.slice(3) : tool.slice(1);
    const op = cli[0].toUpperCase();
    if (op === 'SENTINEL' && cli[1].toLowerCase() === 'get-master-addr-by-name') out(state.master + '\\n6379\\n');
    else if (op === 'SENTINEL' && cli[1] === 'FAILOVER') { state.master = state.master === 'redis-1' ? 'redis-2' : 'redis-1'; out('OK\\n'); }
    else if (op === 'HSET') { state.rules[cli[2]] = cli[3]; out('1\\n'); }
    else if (op === 'HDEL') { const had = cli[2] in state.rules; delete state.rules[cli[2]]; out(had ? '1\\n' : '0\\n'); }
    else if (op === 'HGETALL') out(Object.entries(state.rules).map(([k, v]) => k + '\\n' + v + '\\n').join(''));
    else if (op === 'PUBLISH') out('0\\n');
    else if (op === 'INFO') {
      const replicas = Object.keys(state.services).filter((s) => s.startsWith('redis') && s !== state.master && state.services[s] === 'running');
      const online = state.online === undefined ? replicas.length : state.online;
      out(svc !== state.master ? '# Replication\\nrole:slave\\n' : '# Replication\\nrole:master\\nconnected_slaves:' + replicas.length + '\\n' + replicas.map((r, i) => 'slave' + i + ':ip=' + r + ',port=6379,state=' + (i < online ? 'online' : 'wait_bgsave') + ',offset=1,lag=0\\n').join(''));
    }
    else if (op === 'GET') out('7:feed-2\\n');
    else { process.stderr.write('stub: unknown redis-cli ' + cli.join(' ')); process.exit(1); }
    void svc;
    break;
  }
  default: process.stderr.write('stub: unknown compose command ' + cmd); process.exit(1);
}
save();
`;

// every docker run starts a node process: generous bounds on a shared machine
jest.setTimeout(60_000);

describe('composeChaosTarget (against a stub docker that records its argv)', () => {
  let dir: string;
  let log: string;
  let stateFile: string;
  let env: NodeJS.ProcessEnv;

  const services = (): Record<string, string> =>
    Object.fromEntries(
      ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'upload-1', 'upload-2', 'likes-1', 'likes-2', 'feed-1', 'feed-2', 'gateway-1', 'gateway-2', 'front-door-1', 'front-door-2', 'vip-forwarder'].map((s) => [s, 'running']),
    );
  const commands = (): string[][] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  /** The commands other than the `ps` status reads. */
  const actions = (): string[] => commands().filter((c) => c[1] !== 'ps' && c[0] !== 'inspect').map((c) => c.join(' '));
  const stubState = (): { services: Record<string, string>; master: string; rules: Record<string, string> } => JSON.parse(readFileSync(stateFile, 'utf8'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'failsoft-compose-'));
    log = join(dir, 'argv.log');
    stateFile = join(dir, 'state.json');
    writeFileSync(log, '');
    writeFileSync(stateFile, JSON.stringify({ services: services(), master: 'redis-1', rules: {} }));
    writeFileSync(join(dir, 'docker'), STUB);
    chmodSync(join(dir, 'docker'), 0o755);
    env = { ...process.env, PATH: `${dir}:${process.env['PATH']}`, STUB_LOG: log, STUB_STATE: stateFile, FRONT_DOOR_PORT: '9090' };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const target = () => composeChaosTarget({ cwd: dir, env, pollMs: 10, failoverTimeoutMs: 5000 });

  it('reads a VRRP role from the state file text, unknown for anything else', () => {
    expect(['MASTER\n', ' backup ', 'FAULT', 'STOP', ''].map(vrrpRole)).toEqual(['MASTER', 'BACKUP', 'FAULT', 'unknown', 'unknown']);
  });

  it('waits for every container; the one-shot certs job counts once it exited 0 (not when it failed)', async () => {
    writeFileSync(stateFile, JSON.stringify({ services: { ...services(), certs: 'exited' }, exitCodes: { certs: 0 }, master: 'redis-1', rules: {} }));
    await target().waitForHealthy(5000);
    writeFileSync(stateFile, JSON.stringify({ services: { ...services(), certs: 'exited' }, exitCodes: { certs: 1 }, master: 'redis-1', rules: {} }));
    await expect(target().waitForHealthy(300)).rejects.toThrow('not healthy: certs (exited)');
  });

  it('waits for Redis to be whole too: the master has every running replica online (after a failover the old master resynchronises first)', async () => {
    writeFileSync(stateFile, JSON.stringify({ services: services(), master: 'redis-2', online: 1, rules: {} }));
    await expect(target().waitForHealthy(300)).rejects.toThrow('Redis is not whole: the master redis-2 has 1 of 2 replicas online');
    writeFileSync(stateFile, JSON.stringify({ services: { ...services(), 'redis-3': 'exited' }, master: 'redis-2', online: 1, rules: {} }));
    await expect(target().waitForHealthy(300)).rejects.toThrow('not healthy: redis-3 (exited)');
    writeFileSync(stateFile, JSON.stringify({ services: services(), master: 'redis-2', online: 2, rules: {} }));
    await target().waitForHealthy(5000);
  });

  it('parses both shapes of `docker compose ps --format json`', () => {
    const entry = { Service: 'likes-1', State: 'running', Health: 'healthy' };
    expect(parseComposePs(`${JSON.stringify(entry)}\n${JSON.stringify({ ...entry, Service: 'likes-2' })}\n`).map((e) => e.Service)).toEqual(['likes-1', 'likes-2']);
    expect(parseComposePs(JSON.stringify([entry]))).toEqual([entry]);
    expect(parseComposePs('')).toEqual([]);
  });

  it('kill KILL / TERM / STOP and revive run the exact compose commands', async () => {
    const t = target();
    await t.kill('likes-1', 'KILL');
    await t.kill('likes-2', 'TERM');
    await t.kill('feed-1', 'STOP');
    await t.revive('likes-1');
    await t.revive('feed-1');
    await t.revive('gateway-1'); // running: nothing to do
    expect(actions()).toEqual(['compose kill -s SIGKILL likes-1', 'compose stop likes-2', 'compose pause feed-1', 'compose start likes-1', 'compose unpause feed-1']);
    expect(commands()[0]).toEqual(['compose', 'ps', '--all', '--format', 'json']);
    expect(stubState().services).toMatchObject({ 'likes-1': 'running', 'likes-2': 'exited', 'feed-1': 'running' });
  });

  it('crash kills the app inside its running container (exec), reports the restarts so far, and refuses a stopped one', async () => {
    const t = target();
    expect(await t.crash('likes-1')).toBe(3);
    expect(actions()).toEqual([expect.stringMatching(/^compose exec -T likes-1 sh -c .*kill -KILL/)]);
    expect((stubState() as unknown as { crashed: string[] }).crashed).toEqual(['likes-1']);
    await t.kill('likes-2', 'KILL');
    await expect(t.crash('likes-2')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/likes-2 is exited: there is no running app to crash/) });
  });

  it('status shows restart counts, pids and zones from docker inspect', async () => {
    const status = await target().status();
    expect(status.instances.find((i) => i.id === 'likes-1')).toMatchObject({ restarts: 3, pid: 42, zone: 'zone-b' });
  });

  it('says clearly that Compose v2 is needed when docker has no compose plugin (only v1)', async () => {
    // what docker 28 prints without the plugin: "docker: unknown command: docker compose", or with -p before it
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\necho "docker: unknown command: docker compose" >&2\nexit 1\n');
    await expect(target().status()).rejects.toThrow(DockerUnavailableError);
    await expect(target().status()).rejects.toThrow(/--compose needs Compose v2 \(`docker compose`\).*Compose v1, `docker-compose`, is not supported/);
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\necho "unknown shorthand flag: \'p\' in -p" >&2\nexit 125\n');
    await expect(composeChaosTarget({ cwd: dir, env, project: 'x' }).status()).rejects.toThrow(/needs Compose v2/);
  });

  it('refuses unknown instances without running any action', async () => {
    await expect(target().kill('likes-9', 'KILL')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no instance "likes-9" in the compose platform; it runs upload-1, upload-2, likes-1/) });
    await expect(target().kill('redis-1', 'KILL')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(target().instancesOf('likez')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(actions()).toEqual([]);
  });

  it('status maps containers, the master (via a sentinel), the leader and the breakers', async () => {
    writeFileSync(stateFile, JSON.stringify({ services: { ...services(), 'likes-2': 'exited', 'feed-1': 'paused', 'sentinel-1': 'exited' }, master: 'redis-2', rules: {} }));
    const status = await target().status();
    expect(status.kind).toBe('compose');
    expect(status.url).toBe('http://localhost:9090');
    expect(status.instances.find((i) => i.id === 'likes-2')).toMatchObject({ service: 'likes', state: 'held', ready: false });
    expect(status.instances.find((i) => i.id === 'feed-1')).toMatchObject({ state: 'paused' });
    // the front doors with their VRRP role (from the state file keepalived's notify script writes); the relay is no chaos instance
    expect(status.instances.filter((i) => i.service === 'haproxy').map((i) => [i.id, i.role])).toEqual([
      ['front-door-1', 'MASTER'],
      ['front-door-2', 'BACKUP'],
    ]);
    expect(status.instances.map((i) => i.id)).not.toContain('vip-forwarder');
    expect(await target().instancesOf('haproxy')).toEqual(['front-door-1', 'front-door-2']);
    expect(status.redis.master).toBe('redis-2:6379');
    expect(status.redis.nodes.filter((n) => n.role === 'master').map((n) => n.host)).toEqual(['redis-2']);
    expect(status.redis.nodes.find((n) => n.host === 'sentinel-1')).toMatchObject({ role: 'sentinel', state: 'down' });
    expect(status.trendingLeader).toBe('feed-2');
    expect(status.breakers['gateway-1']).toEqual({ likes: 'closed', 'likes@likes-1:50051': 'open' });
    // sentinel-1 is down: the master is asked of sentinel-2
    expect(actions()).toContain('compose exec -T sentinel-2 redis-cli -p 26379 SENTINEL get-master-addr-by-name failsoft');
    expect(actions()).toContain('compose exec -T redis-2 redis-cli GET failsoft:lease:{feed-trending}');
  });

  it('redis failover asks a sentinel and waits for the new master; pause/resume/kill-master act on the master', async () => {
    const t = target();
    expect(await t.redisFailover()).toBe('redis-2:6379');
    expect(actions()).toEqual(['compose exec -T sentinel-1 redis-cli -p 26379 SENTINEL get-master-addr-by-name failsoft', 'compose exec -T sentinel-1 redis-cli -p 26379 SENTINEL FAILOVER failsoft', 'compose exec -T sentinel-1 redis-cli -p 26379 SENTINEL get-master-addr-by-name failsoft']);
    writeFileSync(log, '');
    expect(await t.redisPauseMaster()).toBe('redis-2:6379');
    await t.redisResume();
    expect(actions().filter((a) => !a.includes('get-master-addr'))).toEqual(['compose pause redis-2', 'compose unpause redis-2']);
    await t.killSentinel(2);
    await t.reviveSentinel(2);
    expect(actions().slice(-2)).toEqual(['compose kill -s SIGKILL sentinel-3', 'compose start sentinel-3']);
    await expect(t.killSentinel(3)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('redis data nodes: kill-replica restarts it, hold keeps it down until revive, the master is refused as a replica, bad names are NOT_FOUND', async () => {
    const t = target();
    const nodeActions = (): string[] => actions().filter((a) => !a.includes('get-master-addr'));
    expect(await t.redisKillNode('redis-2', { hold: false, replicaOnly: true })).toBe('redis-2 redis-2:6379');
    expect(nodeActions()).toEqual(['compose kill -s SIGKILL redis-2', 'compose start redis-2']);
    writeFileSync(log, '');
    expect(await t.redisKillNode('3', { hold: true, replicaOnly: false })).toBe('redis-3 redis-3:6379');
    expect(stubState().services['redis-3']).toBe('exited');
    expect(await t.redisReviveNode('redis-3')).toBe('redis-3 redis-3:6379');
    expect(nodeActions()).toEqual(['compose kill -s SIGKILL redis-3', 'compose start redis-3']);
    writeFileSync(log, '');
    await expect(t.redisKillNode('redis-1', { hold: false, replicaOnly: true })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/redis-1 is the master, not a replica/) });
    await expect(t.redisKillNode('redis-7', { hold: true, replicaOnly: false })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/the data nodes are redis-1, redis-2, redis-3/) });
    expect(nodeActions()).toEqual([]);
    const status = await t.status();
    expect(status.redis.nodes.filter((n) => n.role !== 'sentinel').map((n) => [n.name, n.zone])).toEqual([
      ['redis-1', 'zone-a'],
      ['redis-2', 'zone-b'],
      ['redis-3', 'zone-c'],
    ]);
  });

  it('fault rules are written in the RedisFaultRuleStore format on the master, announced, listed and removed', async () => {
    const t = target();
    const rule = await t.addFault({ id: 'r1', service: 'likes', method: 'Like', abortPercent: 100 });
    expect(rule).toEqual({ id: 'r1', service: 'likes', method: 'Like', abortPercent: 100, abortCode: 14, delayMs: 0, delayPercent: 100 });
    const stored = JSON.stringify(rule);
    expect(actions()).toContain(`compose exec -T redis-1 redis-cli HSET failsoft:faults:rules r1 ${stored}`);
    expect(actions()).toContain('compose exec -T redis-1 redis-cli PUBLISH failsoft:faults:changed {"op":"set","id":"r1"}');
    expect(await t.listFaults()).toEqual([rule]);
    await t.removeFault('r1');
    expect(actions()).toContain('compose exec -T redis-1 redis-cli PUBLISH failsoft:faults:changed {"op":"remove","id":"r1"}');
    expect(await t.listFaults()).toEqual([]);
    await expect(t.removeFault('r1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const before = actions().length;
    await expect(t.addFault({ id: 'bad', service: 'likes', abortPercent: 150 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/abortPercent must be a number from 0 to 100; got 150/) });
    expect(actions()).toHaveLength(before);
  });

  it('a failing docker command is an error naming the command; no docker at all is DockerUnavailableError', async () => {
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n');
    await expect(target().status()).rejects.toThrow(/docker compose ps --all --format json failed \(exit 1\): Cannot connect to the Docker daemon/);
    const none = composeChaosTarget({ cwd: dir, env, docker: join(dir, 'no-such-docker') });
    await expect(none.status()).rejects.toThrow(DockerUnavailableError);
  });
});
