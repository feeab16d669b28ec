import { evalScript, type StateRedis } from '@failsoft/state';
import { FeedKeys } from './feed.keys';

/** One consumer of the `feed` group, as XINFO CONSUMERS reports it. */
export interface GroupConsumer {
  readonly name: string;
  /** Entries delivered to it and not acknowledged. */
  readonly pending: number;
  /** Milliseconds since it last read or claimed. */
  readonly idleMs: number;
}

/**
 * Deletes a consumer only when it has nothing pending and has been idle at least ARGV[3] ms,
 * atomically: XGROUP DELCONSUMER drops the consumer's pending entries, so checking first and
 * deleting later could lose an entry delivered in between. Returns 1 when deleted, 0 when kept,
 * -1 when there is no such consumer.
 */
const DELETE_IF_DONE = `
local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
for _, consumer in ipairs(consumers) do
  local f = {}
  for i = 1, #consumer, 2 do f[consumer[i]] = consumer[i + 1] end
  if f['name'] == ARGV[2] then
    if tonumber(f['pending']) > 0 or tonumber(f['idle']) < tonumber(ARGV[3]) then return 0 end
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
    return 1
  end
end
return -1
`;

/** The consumers of the `feed` group. */
export async function groupConsumers(redis: StateRedis): Promise<GroupConsumer[]> {
  const reply = (await redis.call('XINFO', 'CONSUMERS', FeedKeys.posts, FeedKeys.group)) as Array<Array<string | number>>;
  return reply.map((fields) => {
    const f = new Map<string, string | number>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), fields[i + 1]);
    return { name: String(f.get('name')), pending: Number(f.get('pending')), idleMs: Number(f.get('idle')) };
  });
}

/**
 * Deletes `consumer` from the group (XGROUP DELCONSUMER) if it has nothing pending and has been
 * idle for `minIdleMs`; true when it was deleted.
 */
export async function deleteConsumerIfDone(redis: StateRedis, consumer: string, minIdleMs = 0): Promise<boolean> {
  return (await evalScript<number>(redis, DELETE_IF_DONE, [FeedKeys.posts], [FeedKeys.group, consumer, minIdleMs])) === 1;
}

/**
 * Gives `consumer`'s pending entries (up to 1000) to `target` with XCLAIM, marked idle for
 * `idleMs` so that the next claim pass of any live consumer (XAUTOCLAIM, min idle `idleMs`) takes
 * them at once instead of waiting. Returns how many were given.
 */
export async function giveAwayPending(redis: StateRedis, consumer: string, target: string, idleMs: number): Promise<number> {
  const pending = (await redis.call('XPENDING', FeedKeys.posts, FeedKeys.group, '-', '+', 1000, consumer)) as Array<[string, string, number, number]>;
  if (pending.length === 0) return 0;
  const ids = pending.map(([id]) => id);
  await redis.call('XCLAIM', FeedKeys.posts, FeedKeys.group, target, 0, ...ids, 'IDLE', idleMs, 'JUSTID');
  return ids.length;
}
