import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { GrpcError } from '@failsoft/sidecar';
import { DurableWriter, type StateRedis } from '@failsoft/state';
import { startRedisServer, type RedisServerHandle } from '@failsoft/testing';
import { isLateWrite, likesKey, LikesRepository } from './likes.repository';
import { ERROR_CODE_METADATA_KEY } from '@failsoft/contracts';
import { toStateError } from './state-unavailable.error';

/**
 * The deadline fence of Like/Unlike against a real redis-server: a write whose call deadline has
 * passed by Redis' clock changes nothing (an attempt the gateway gave up on, resumed late after a
 * SIGSTOP or flushed late after a failover, must not undo a newer acknowledged write).
 */
describe('LikesRepository deadline fence (real redis-server)', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let repository: LikesRepository;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    // a lone server has no replica to confirm: durability is checked elsewhere (0 = no WAIT check)
    repository = new LikesRepository(redis as unknown as StateRedis, new DurableWriter(redis, { replicas: 0 }));
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('applies writes within their deadline, and writes without one', async () => {
    expect(await repository.like('alice', 'p1', Date.now() + 10_000)).toEqual({ changed: true, count: 1 });
    expect(await repository.like('bob', 'p1')).toEqual({ changed: true, count: 2 });
    expect(await repository.unlike('alice', 'p1', Date.now() + 10_000)).toEqual({ changed: true, count: 1 });
    expect((await redis.smembers(likesKey('p1'))).sort()).toEqual(['bob']);
  });

  it('refuses a like or an unlike past its deadline and changes nothing', async () => {
    await repository.like('carol', 'p2');
    const late = await repository.like('dave', 'p2', Date.now() - 1).catch((error: unknown) => error);
    expect(isLateWrite(late)).toBe(true);
    const lateUnlike = await repository.unlike('carol', 'p2', Date.now() - 1).catch((error: unknown) => error);
    expect(isLateWrite(lateUnlike)).toBe(true);
    expect(await redis.smembers(likesKey('p2'))).toEqual(['carol']);
  });

  it('answers a late write with DEADLINE_EXCEEDED and the code LATE_WRITE', async () => {
    const late = await repository.like('erin', 'p3', Date.now() - 1).catch((error: unknown) => error);
    const mapped = toStateError(late, 'Like');
    expect(mapped).toBeInstanceOf(GrpcError);
    expect((mapped as GrpcError).code).toBe(status.DEADLINE_EXCEEDED);
    expect((mapped as GrpcError).metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['LATE_WRITE']);
  });
});
