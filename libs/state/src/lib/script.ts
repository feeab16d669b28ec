import { createHash } from 'node:crypto';
import type { RedisConnection } from './client/redis-connection';
import { RedisArg } from './durable/redis-command';

/** sha1 of a Lua script, as EVALSHA wants it. */
export function scriptSha(script: string): string {
  return createHash('sha1').update(script).digest('hex');
}

/**
 * Runs a Lua script with EVALSHA, falling back to EVAL when the server does not know it yet (a
 * freshly promoted master has an empty script cache).
 */
export async function evalScript<T = unknown>(client: RedisConnection, script: string, keys: readonly string[], args: readonly RedisArg[]): Promise<T> {
  try {
    return (await client.call('evalsha', scriptSha(script), keys.length, ...keys, ...args)) as T;
  } catch (error) {
    if (!(error instanceof Error) || !/^NOSCRIPT\b/.test(error.message)) throw error;
    return (await client.call('eval', script, keys.length, ...keys, ...args)) as T;
  }
}
