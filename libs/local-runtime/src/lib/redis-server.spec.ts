import { existsSync } from 'node:fs';
import { isProcessAlive } from './process-registry';
import { parseInfo, redisCommand } from './redis-command';
import { findRedisServer, RedisProcessHandle, startRedisServer } from './redis-server';
import { isInvalidRuntimeOptionsError, isRedisServerMissingError } from './local-runtime.error';
import { waitUntil } from './wait-until';

jest.setTimeout(30_000);

describe('findRedisServer', () => {
  const saved = process.env['REDIS_SERVER_BIN'];
  afterEach(() => {
    if (saved === undefined) delete process.env['REDIS_SERVER_BIN'];
    else process.env['REDIS_SERVER_BIN'] = saved;
  });

  it('finds the binary on PATH', () => {
    delete process.env['REDIS_SERVER_BIN'];
    expect(findRedisServer()).toMatch(/redis-server$/);
  });

  it('says how to install it when absent', () => {
    delete process.env['REDIS_SERVER_BIN'];
    let error: unknown;
    try {
      findRedisServer('/nonexistent-a:/nonexistent-b');
    } catch (e) {
      error = e;
    }
    expect(isRedisServerMissingError(error)).toBe(true);
    expect((error as Error).message).toContain('install it: apt-get install redis-server');
    expect((error as Error).message).toContain('/nonexistent-a:/nonexistent-b');
  });
});

describe('startRedisServer', () => {
  const started: RedisProcessHandle[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });

  it('starts a server that answers, replicates, and stop() kills it and removes its dir', async () => {
    const master = await startRedisServer();
    started.push(master);
    expect(master.port).not.toBe(6379);
    expect(master.host).toBe('127.0.0.1');
    const replica = await startRedisServer({ replicaOf: { host: master.host, port: master.port } });
    started.push(replica);
    await redisCommand(master.port, ['SET', 'k', 'v']);
    await waitUntil(async () => (await redisCommand(replica.port, ['GET', 'k'])) === 'v', { message: 'the replica to get k' });
    expect(parseInfo(String(await redisCommand(master.port, ['INFO', 'persistence'])))['aof_enabled']).toBe('0');
    expect(await redisCommand(master.port, ['CONFIG', 'GET', 'save'])).toEqual(['save', '']);

    await master.stop();
    expect(isProcessAlive(master.pid)).toBe(false);
    expect(master.running).toBe(false);
    expect(existsSync(master.dir)).toBe(false);
    await master.stop(); // idempotent
  });

  it('passes extra args (persistence when asked)', async () => {
    const server = await startRedisServer({ args: ['--appendonly', 'yes'] });
    started.push(server);
    expect(await redisCommand(server.port, ['CONFIG', 'GET', 'appendonly'])).toEqual(['appendonly', 'yes']);
  });

  it('kill(SIGSTOP) hangs it and kill(SIGCONT) resumes it', async () => {
    const server = await startRedisServer();
    started.push(server);
    server.kill('SIGSTOP');
    await expect(redisCommand(server.port, ['PING'], { timeoutMs: 300 })).rejects.toThrow(/did not answer PING within 300 ms/);
    server.kill('SIGCONT');
    await expect(redisCommand(server.port, ['PING'])).resolves.toBe('PONG');
  });

  it('refuses port 6379 and bad options, naming the value', async () => {
    await expect(startRedisServer({ port: 6379 })).rejects.toThrow("startRedisServer.port must not be 6379 (the machine's own Redis); got 6379");
    const error = await startRedisServer({ port: -1 }).catch((e: unknown) => e);
    expect(isInvalidRuntimeOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe('startRedisServer.port must be an integer from 1 to 65535; got -1');
    await expect(startRedisServer({ replicaOf: { host: '', port: 1 } })).rejects.toThrow(/replicaOf must be \{ host, port \}; got/);
  });

  it('reports the log when the server cannot start', async () => {
    await expect(startRedisServer({ args: ['--no-such-directive', 'x'] })).rejects.toThrow(/exited \(code 1\) before answering PING:[\s\S]*no-such-directive/i);
  });
});
