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

/** Flags of a master or replica that a sentinel is failing over, cannot reach, or would not promote. */
export const DOWN_FLAGS = /\b(s_down|o_down|disconnected|failover_in_progress|promoted)\b/;

/**
 * What `answers` (from `known` sentinels, `needed` of them a majority) say: the snapshot they agree
 * on, or why they do not confirm a master.
 */
export function judgeAnswers(answers: readonly SentinelAnswer[], known: number, needed: number): SentinelViewSnapshot | SentinelViewUnconfirmed {
  const runIds = new Set(answers.map((a) => a.runId));
  if (runIds.size > 1) return new SentinelViewUnconfirmed(`the sentinels name ${runIds.size} different masters (a failover is under way)`);
  const busy = answers.find((a) => DOWN_FLAGS.test(a.masterFlags));
  if (busy) return new SentinelViewUnconfirmed(`a sentinel flags the master "${busy.masterFlags}"`);
  if (answers.length < needed) return new SentinelViewUnconfirmed(`only ${answers.length} of ${known} sentinels answered (${needed} needed)`);
  return { masterRunId: answers[0].runId, promotable: [...new Set(answers.flatMap((a) => a.promotable))].sort(), agreeing: answers.length, known };
}
