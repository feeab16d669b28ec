import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisCommand } from '@failsoft/local-runtime';
import { InvalidOptionsError, RedisFaultRuleStore, validateFaultRule, type FaultRule, type FaultRuleInput } from '@failsoft/sidecar';
import { ChaosError } from './chaos.error';

/** A Redis data node address. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** A fresh fault rule id: `<service>-<method>-<6 hex>` (`likes-Like-3fa2c1`), valid for the store. */
export function newFaultId(service: string, method = '*'): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9._:-]/g, '').slice(0, 24) || 'any';
  return `${clean(service)}-${clean(method)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Runs `fn` with an ioredis client connected to `address` (the current master), then closes it.
 * Connection trouble becomes a {@link ChaosError} UNAVAILABLE naming the address. `password`: of
 * the `default` user (the operator's; the local platform's Redis has ACL users).
 */
export async function withRedis<T>(address: RedisAddress, fn: (redis: Redis) => Promise<T>, password?: string): Promise<T> {
  try {
    // a plain PING first: ioredis keeps its connect timer running after a refused connection
    await redisCommand(address.port, ['PING'], { host: address.host, timeoutMs: 2000, password });
  } catch (error) {
    throw new ChaosError('UNAVAILABLE', `cannot reach the Redis master ${address.host}:${address.port} (${(error as Error).message}); is the platform's Redis up?`);
  }
  const redis = new Redis({ host: address.host, port: address.port, password, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error)); // always listened to: an unhandled 'error' would crash the caller
  try {
    try {
      await redis.connect();
    } catch (error) {
      throw new ChaosError('UNAVAILABLE', `cannot reach the Redis master ${address.host}:${address.port} (${(lastError ?? (error as Error)).message}); is the platform's Redis up?`);
    }
    return await fn(redis);
  } finally {
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  }
}

/** A store used only to write (no subscriber is opened: `start()` is never called). */
async function withStore<T>(redis: Redis, fn: (store: RedisFaultRuleStore) => Promise<T>): Promise<T> {
  const store = new RedisFaultRuleStore({ redis });
  try {
    return await fn(store);
  } finally {
    await store.shutdown();
  }
}

/**
 * Validates a rule as the servers will (`validateFaultRule`), writes it to the Redis hash and
 * announces it (through {@link RedisFaultRuleStore.set}). @throws ChaosError BAD_REQUEST on a bad rule.
 */
export async function writeFaultRule(redis: Redis, input: FaultRuleInput): Promise<FaultRule> {
  try {
    validateFaultRule(input);
  } catch (error) {
    if (error instanceof InvalidOptionsError) throw new ChaosError('BAD_REQUEST', error.message);
    throw error;
  }
  return withStore(redis, (store) => store.set(input));
}

/** Removes rule `id` and announces it. @throws ChaosError NOT_FOUND when there is no such rule. */
export async function removeFaultRule(redis: Redis, id: string): Promise<void> {
  const removed = await withStore(redis, (store) => store.remove(id));
  if (!removed) {
    const ids = (await readFaultRules(redis)).map((r) => r.id);
    throw new ChaosError('NOT_FOUND', `no fault rule ${JSON.stringify(id)}; ${ids.length ? `the rules are ${ids.join(', ')}` : 'there are no rules'} (see: failsoft fault --list)`);
  }
}

/**
 * The rules of a stored hash (`HGETALL` of the rules key) still in force at `now`, sorted by id;
 * expired and invalid ones left out (the servers ignore them too).
 */
export function rulesInForce(hash: Readonly<Record<string, string>>, now = Date.now()): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const text of Object.values(hash)) {
    try {
      const rule = validateFaultRule(JSON.parse(text) as FaultRuleInput);
      if (rule.expiresAt === undefined || rule.expiresAt > now) rules.push(rule);
    } catch {
      // an invalid stored rule is ignored by the servers too
    }
  }
  return rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The rules stored in Redis and still in force (expired and invalid ones left out), sorted by id. */
export async function readFaultRules(redis: Redis): Promise<FaultRule[]> {
  const key = new RedisFaultRuleStore({ redis });
  const hash = await redis.hgetall(key.key);
  await key.shutdown();
  return rulesInForce(hash);
}
