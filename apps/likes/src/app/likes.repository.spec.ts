import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { GrpcError } from '@failsoft/sidecar';
import { DurableWriter, type StateRedis } from '@failsoft/state';
import { startRedisServer, type RedisServerHandle } from '@failsoft/testing';
import { isKeyReused, isLateWrite, LIKE_KEY_TTL_SECONDS, likeKeyRecord, likesKey, LikesRepository } from './likes.repository';
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

  it('applies a like or an unlike with an idempotency key once: a late copy of an old like does not undo a newer unlike', async () => {
    expect(await repository.like('frank', 'p4', Date.now() + 10_000, 'k-like-1')).toEqual({ changed: true, count: 1 });
    // the client resent k-like-1 (it met a reset), then unliked with a new key
    expect(await repository.like('frank', 'p4', Date.now() + 10_000, 'k-like-1')).toEqual({ changed: false, count: 1 });
    expect(await repository.unlike('frank', 'p4', Date.now() + 10_000, 'k-unlike-2')).toEqual({ changed: true, count: 0 });
    // the first copy of k-like-1, held by a frozen front door, arrives now
    expect(await repository.like('frank', 'p4', Date.now() + 10_000, 'k-like-1')).toEqual({ changed: false, count: 0 });
    expect(await redis.smembers(likesKey('p4'))).toEqual([]);
    // keys are per user: another user's k-like-1 is its own operation
    expect(await repository.like('grace', 'p4', undefined, 'k-like-1')).toEqual({ changed: true, count: 1 });
    const ttl = await redis.ttl(likeKeyRecord('frank', 'k-like-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(LIKE_KEY_TTL_SECONDS);
  });

  it('refuses a key already used for another operation (INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED) and changes nothing', async () => {
    await repository.like('heidi', 'p5', undefined, 'k-reused');
    const reused = await repository.unlike('heidi', 'p5', undefined, 'k-reused').catch((error: unknown) => error);
    expect(isKeyReused(reused)).toBe(true);
    const otherPost = await repository.like('heidi', 'p6', undefined, 'k-reused').catch((error: unknown) => error);
    expect(isKeyReused(otherPost)).toBe(true);
    expect(await redis.smembers(likesKey('p5'))).toEqual(['heidi']);
    expect(await redis.exists(likesKey('p6'))).toBe(0);
    const mapped = toStateError(reused, 'Unlike') as GrpcError;
    expect(mapped.code).toBe(status.INVALID_ARGUMENT);
    expect(mapped.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(mapped.message).toMatch(/k-reused.*another like or unlike; send a new key per operation/);
  });

  it('checks the deadline before the key: a late write with a fresh key records nothing', async () => {
    const late = await repository.like('ivan', 'p7', Date.now() - 1, 'k-late').catch((error: unknown) => error);
    expect(isLateWrite(late)).toBe(true);
    expect(await redis.exists(likeKeyRecord('ivan', 'k-late'))).toBe(0);
    expect(await repository.like('ivan', 'p7', Date.now() + 10_000, 'k-late')).toEqual({ changed: true, count: 1 });
  });
});
