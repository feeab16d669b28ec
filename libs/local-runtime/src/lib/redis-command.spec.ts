import { createServer, Server } from 'node:net';
import { pairsToMap, parseInfo, redisCommand, RedisReplyError } from './redis-command';
import { isLocalRuntimeError, isWaitTimeoutError } from './local-runtime.error';
import { startRedisServer, type RedisServerHandle } from './redis-server';

/** A tiny TCP server that answers every connection with fixed bytes (to exercise the parser). */
async function fakeServer(reply: string | undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('data', () => {
      if (reply !== undefined) {
        // split the reply in two writes to exercise partial parsing
        socket.write(reply.slice(0, 3));
        setTimeout(() => socket.write(reply.slice(3)), 5);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

describe('redisCommand', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it.each([
    ['+PONG\r\n', 'PONG'],
    [':42\r\n', 42],
    ['$5\r\nhello\r\n', 'hello'],
    ['$-1\r\n', null],
    ['*3\r\n$1\r\na\r\n:2\r\n*1\r\n+ok\r\n', ['a', 2, ['ok']]],
  ])('decodes %j', async (raw, expected) => {
    const { server, port } = await fakeServer(raw);
    servers.push(server);
    await expect(redisCommand(port, ['ANY'])).resolves.toEqual(expected);
  });

  it('rejects with the error reply', async () => {
    const { server, port } = await fakeServer('-ERR unknown command\r\n');
    servers.push(server);
    const error = await redisCommand(port, ['NOPE']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisReplyError);
    expect((error as Error).message).toBe('ERR unknown command');
  });

  it('times out on a server that never answers', async () => {
    const { server, port } = await fakeServer(undefined);
    servers.push(server);
    const error = await redisCommand(port, ['PING'], { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(isWaitTimeoutError(error)).toBe(true);
  });

  it('refuses the machine\'s own Redis port', async () => {
    const error = await redisCommand(6379, ['PING']).catch((e: unknown) => e);
    expect(isLocalRuntimeError(error, 'INVALID_OPTIONS')).toBe(true);
  });

  it('parses INFO and pair replies', () => {
    expect(parseInfo('# Replication\r\nrole:master\r\nconnected_slaves:2\r\n')).toEqual({ role: 'master', connected_slaves: '2' });
    expect(pairsToMap(['flags', 'master', 'num-slaves', '2'])).toEqual({ flags: 'master', 'num-slaves': '2' });
  });
});

describe('redisCommand with AUTH (real redis-server)', () => {
  let server: RedisServerHandle | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('authenticates first (requirepass or an ACL user), and says so when refused', async () => {
    const password = 'local-runtime-test-password';
    server = await startRedisServer({ args: ['--user', 'watcher', 'on', `>${password}-2`, '+ping', '+info', '--requirepass', password] });
    const port = server.port;
    const noAuth = await redisCommand(port, ['GET', 'x']).catch((e: unknown) => e);
    expect((noAuth as Error).message).toMatch(/^NOAUTH/);
    await expect(redisCommand(port, ['SET', 'x', '1'], { password })).resolves.toBe('OK');
    await expect(redisCommand(port, ['PING'], { username: 'watcher', password: `${password}-2` })).resolves.toBe('PONG');
    const denied = await redisCommand(port, ['GET', 'x'], { username: 'watcher', password: `${password}-2` }).catch((e: unknown) => e);
    expect((denied as Error).message).toMatch(/^NOPERM/);
    const wrong = await redisCommand(port, ['PING'], { password: 'not-the-password' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(RedisReplyError);
    expect((wrong as Error).message).toMatch(new RegExp(`^AUTH refused by 127\\.0\\.0\\.1:${port}: WRONGPASS`));
  });
});
