/** Runs `redis-cli <args>` in compose service `service` (`port` for a sentinel) and resolves with its output. */
export type ComposeRedisCli = (service: string, args: readonly string[], port?: number) => Promise<string>;

/** The Redis containers running now, by kind. */
export interface RunningRedis {
  readonly sentinels: readonly string[];
  readonly data: readonly string[];
}

/** The `INFO replication` fields of a reply as `redis-cli` prints it (LF or CRLF lines). */
export function replicationFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/**
 * Why the master's `INFO replication` does not show a whole replica set (undefined when it does):
 * it must say `role:master` and list `expected` replicas in state `online` (a replica still waiting
 * for its full resynchronisation is not online yet).
 */
export function replicationProblem(master: string, info: string, expected: number): string | undefined {
  const fields = replicationFields(info);
  if (fields['role'] !== 'master') return `${master} is named the master but says role ${fields['role'] ?? '(no INFO)'}`;
  const online = Object.keys(fields).filter((k) => /^slave\d+$/.test(k) && fields[k].includes('state=online')).length;
  return online === expected ? undefined : `the master ${master} has ${online} of ${expected} replicas online`;
}

/**
 * Why Redis in compose is not whole (undefined when it is): every running sentinel names the same
 * master, and that master has every other running data node online as its replica. The local
 * platform's `waitForHealthy` asks the same: durable writes need every replica the sentinels could
 * promote to have confirmed them, so after a failover the platform is not recovered until the old
 * master has resynchronised as a replica (Sentinel converts it about 10 s after it is back).
 */
export async function composeRedisProblem(cli: ComposeRedisCli, running: RunningRedis, sentinelPort: number, masterName: string): Promise<string | undefined> {
  if (running.sentinels.length === 0) return 'no sentinel container is running';
  const named = await Promise.all(
    running.sentinels.map((s) =>
      cli(s, ['SENTINEL', 'get-master-addr-by-name', masterName], sentinelPort).then(
        (reply) => reply.trim().split(/\r?\n/)[0]?.trim() || '?',
        () => '?',
      ),
    ),
  );
  if (new Set(named).size !== 1 || named[0] === '?') return `the sentinels name the master ${running.sentinels.map((s, i) => `${s}: ${named[i]}`).join(', ')}`;
  const master = named[0];
  if (!running.data.includes(master)) return `the sentinels name the master ${master}, which is not running`;
  const info = await cli(master, ['INFO', 'replication']).catch((error: Error) => `(no answer: ${error.message})`);
  return replicationProblem(master, info, running.data.length - 1);
}
