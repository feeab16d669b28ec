import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisCommand, Supervisor, workspaceRoot, type RespValue } from '@failsoft/local-runtime';
import { readFaultRules, withRedis, writeFaultRule } from '../chaos/fault-rules';
import { loadOrCreateSecrets, type RedisPasswords } from '../secrets';
import { LocalRedis } from './local-redis';
import { ACL_TEMPLATE, renderAclFile } from './redis-auth';

jest.setTimeout(90_000);

/** The reply, or the error message of a refused command. */
const reply = (port: number, args: Array<string | number>, auth: { username?: string; password?: string } = {}): Promise<RespValue | string> =>
  redisCommand(port, args, { timeoutMs: 2000, ...auth }).catch((error: Error) => error.message);

/**
 * The Redis of `failsoft up` (LocalRedis, real redis-server and sentinels) with the passwords of a
 * fresh secrets.json: nothing answers without credentials, each service user may do its own job
 * only, and a failover still works (the sentinels and replicas authenticate).
 */
describe('LocalRedis with the ACL users of deploy/redis/users.acl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-redis-auth-'));
  const warnings: string[] = [];
  const supervisor = new Supervisor({ log: (line) => warnings.push(line) });
  let stopping = false;
  const redis = new LocalRedis({ supervisor, logs: join(dir, 'logs'), say: () => undefined, warn: (line) => warnings.push(line), onChange: () => undefined, isStopping: () => stopping, workspace: workspaceRoot() });
  let passwords: RedisPasswords;
  let master: number;

  beforeAll(async () => {
    passwords = loadOrCreateSecrets(join(dir, 'secrets.json')).secrets.redis;
    await redis.start(join(dir, 'redis'), passwords);
    master = (await redis.currentMaster()).port;
  });
  afterAll(async () => {
    stopping = true;
    await redis.stop();
    await supervisor.stopAll({ timeoutMs: 3000 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers PING without credentials with NOAUTH on the master, every replica and every sentinel', async () => {
    const nodes = [...redis.servers(), ...redis.sentinels()].map((n) => n.port);
    expect(nodes).toHaveLength(6);
    for (const port of nodes) expect({ port, reply: await reply(port, ['PING']) }).toEqual({ port, reply: expect.stringMatching(/^NOAUTH/) });
    // positive control: with the operator's credentials they answer
    for (const s of redis.servers()) expect(await reply(s.port, ['PING'], { password: passwords.admin })).toBe('PONG');
    for (const s of redis.sentinels()) expect(await reply(s.port, ['PING'], { password: passwords.sentinel })).toBe('PONG');
    // a wrong password is refused too
    expect(await reply(master, ['PING'], { password: passwords.sentinel })).toMatch(/WRONGPASS/);
  });

  it('keeps the ACL file (hashes only) mode 0600 beside the topology', () => {
    const file = join(dir, 'redis', 'users.acl');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    for (const value of Object.values(passwords)) expect(text).not.toContain(value);
    expect(text).toMatch(/^user likes on #[0-9a-f]{64} /m);
  });

  it('lets a service user do its own job, and nothing of another service or of the operator', async () => {
    const likes = { username: 'likes', password: passwords.likes };
    expect(await reply(master, ['SADD', 'failsoft:likes:p1', 'u1'], likes)).toBe(1);
    expect(await reply(master, ['SET', 'failsoft:registry:{likes}:likes-1', 'x'], likes)).toBe('OK');
    expect(await reply(master, ['GET', 'failsoft:registry:{upload}:upload-1'], likes)).toBeNull(); // others' entries: read-only
    expect(await reply(master, ['SET', 'failsoft:registry:{upload}:upload-1', 'forged'], likes)).toMatch(/NOPERM/);
    expect(await reply(master, ['HSET', 'failsoft:faults:rules', 'x', '{}'], likes)).toMatch(/NOPERM/);
    expect(await reply(master, ['SET', 'failsoft:post:1', 'x'], likes)).toMatch(/NOPERM/); // upload's keys
    expect(await reply(master, ['CONFIG', 'GET', 'maxmemory'], likes)).toMatch(/NOPERM/);
    expect(await reply(master, ['FLUSHALL'], likes)).toMatch(/NOPERM/);
    const upload = { username: 'upload', password: passwords.upload };
    expect(await reply(master, ['SET', 'failsoft:post:1', 'x'], upload)).toBe('OK');
    expect(await reply(master, ['SADD', 'failsoft:likes:p1', 'u2'], upload)).toMatch(/NOPERM/);
    // the replication and sentinel users hold no data rights
    expect(await reply(master, ['GET', 'failsoft:post:1'], { username: 'replication', password: passwords.replication })).toMatch(/NOPERM/);
    expect(await reply(master, ['GET', 'failsoft:post:1'], { username: 'sentinel', password: passwords.monitor })).toMatch(/NOPERM/);
    // a service password does not open another service's user
    expect(await reply(master, ['PING'], { username: 'upload', password: passwords.likes })).toMatch(/WRONGPASS/);
  });

  it('writes fault rules as the operator (the CLI authenticates); without the password it cannot', async () => {
    const address = { host: '127.0.0.1', port: master };
    await withRedis(address, (client) => writeFaultRule(client, { id: 'auth-spec', service: 'likes', abortPercent: 5 }), passwords.admin);
    expect((await withRedis(address, (client) => readFaultRules(client), passwords.admin)).map((r) => r.id)).toEqual(['auth-spec']);
    await expect(withRedis(address, (client) => readFaultRules(client))).rejects.toThrow(/NOAUTH/);
  });

  it('fails over after SIGKILL of the master and becomes whole again (sentinels and replicas authenticate)', async () => {
    const killed = await redis.killMaster('SIGKILL');
    const promoted = await redis.waitForFailover(killed, 30_000);
    expect(promoted.port).not.toBe(killed.port);
    await redis.waitForHealthy(60_000); // the killed node restarted as a replica, its link up
    expect(await reply(killed.port, ['PING'])).toMatch(/^NOAUTH/);
    expect(await reply(promoted.port, ['GET', 'failsoft:post:1'], { password: passwords.admin })).toBe('x');
  });
});

describe('renderAclFile', () => {
  const template = readFileSync(join(workspaceRoot(), ACL_TEMPLATE), 'utf8');
  const passwords = Object.fromEntries(['admin', 'replication', 'monitor', 'sentinel', 'upload', 'likes', 'feed', 'gateway'].map((n) => [n, `${n}-password-0123456789`])) as unknown as RedisPasswords;

  it('keeps the user lines of the template, with every placeholder replaced by a hash', () => {
    const text = renderAclFile(template, passwords);
    const users = text.trim().split('\n');
    expect(users.map((line) => line.split(' ')[1])).toEqual(['default', 'replication', 'sentinel', 'upload', 'likes', 'feed', 'gateway']);
    expect(text).not.toMatch(/_HASH@|^#|password-0123456789/m);
    for (const line of users) expect(line).toMatch(/^user \S+ on #[0-9a-f]{64} /);
  });

  it('refuses a template with a placeholder it does not know (negative control)', () => {
    expect(() => renderAclFile(`${template}\nuser extra on #@EXTRA_HASH@ +ping\n`, passwords)).toThrow(/@EXTRA_HASH@/);
  });
});
