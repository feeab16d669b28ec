import type { Redis } from 'ioredis';

/** What a majority of the sentinels agree on at one moment. */
export interface SentinelViewSnapshot {
  /** run_id of the master the agreeing sentinels name. */
  readonly masterRunId: string;
  /** Replicas some answering sentinel could promote (not s_down/o_down/disconnected, priority > 0). */
  readonly promotable: readonly string[];
  /** Sentinels that answered and agreed / sentinels known in all. */
  readonly agreeing: number;
  readonly known: number;
}

/** Why the sentinels' view could not confirm a master (see `SentinelView.check`). */
export class SentinelViewUnconfirmed extends Error {}

/** What one sentinel said of the master it monitors under a name. */
export interface SentinelAnswer {
  readonly runId: string;
  readonly masterFlags: string;
  readonly promotable: string[];
}

const DOWN = /\b(s_down|o_down|disconnected|failover_in_progress|promoted)\b/;

/**
 * The values of `keys` in the flat [k, v, k, v ...] reply of SENTINEL MASTER / REPLICAS, asked
 * for as Buffers (same order as `keys`, '' when absent). Only these are decoded: a reply has about
 * 40 fields, and turning all of them into strings (or an object) for two sentinels per group commit
 * cost more than the check's I/O. A field name is decoded only when its length is one of the keys'.
 */
function fields(reply: unknown, keys: readonly string[]): string[] {
  const out = keys.map(() => '');
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const name: unknown = reply[i];
    if (Buffer.isBuffer(name) && !keys.some((key) => key.length === name.length)) continue;
    const at = keys.indexOf(String(name));
    if (at >= 0) out[at] = String(reply[i + 1]);
  }
  return out;
}

const MASTER_KEYS = ['runid', 'flags'] as const;
const REPLICA_KEYS = ['flags', 'slave-priority', 'ip', 'port'] as const;

/**
 * Asks one sentinel (SENTINEL MASTER + SENTINEL REPLICAS in one pipeline) which master it follows
 * under `masterName` and which replicas it could promote; `undefined` when it does not answer
 * (cut, hung past the connection's command timeout, or an error reply). Replies come as Buffers
 * (`callBuffer`): only the fields read are decoded.
 */
export async function askSentinel(connection: Redis, masterName: string): Promise<SentinelAnswer | undefined> {
  try {
    if (connection.status === 'wait') await connection.connect();
    const replies = await connection.pipeline().callBuffer('sentinel', 'master', masterName).callBuffer('sentinel', 'replicas', masterName).exec();
    if (!replies || replies.some(([error]) => error)) return undefined;
    const [runId, masterFlags] = fields(replies[0][1], MASTER_KEYS);
    const promotable: string[] = [];
    for (const replica of replies[1][1] as unknown[]) {
      const [flags, priority, ip, port] = fields(replica, REPLICA_KEYS);
      if (!DOWN.test(flags) && priority !== '0') promotable.push(`${ip}:${port}`);
    }
    return { runId, masterFlags, promotable };
  } catch {
    return undefined;
  }
}

/**
 * What `answers` (from `known` sentinels, `needed` of them a majority) say: the snapshot they agree
 * on, or why they do not confirm a master.
 */
export function judgeAnswers(answers: readonly SentinelAnswer[], known: number, needed: number): SentinelViewSnapshot | SentinelViewUnconfirmed {
  const runIds = new Set(answers.map((a) => a.runId));
  if (runIds.size > 1) return new SentinelViewUnconfirmed(`the sentinels name ${runIds.size} different masters (a failover is under way)`);
  const busy = answers.find((a) => DOWN.test(a.masterFlags));
  if (busy) return new SentinelViewUnconfirmed(`a sentinel flags the master "${busy.masterFlags}"`);
  if (answers.length < needed) return new SentinelViewUnconfirmed(`only ${answers.length} of ${known} sentinels answered (${needed} needed)`);
  return { masterRunId: answers[0].runId, promotable: [...new Set(answers.flatMap((a) => a.promotable))].sort(), agreeing: answers.length, known };
}
