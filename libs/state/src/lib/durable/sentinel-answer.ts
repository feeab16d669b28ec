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
  /**
   * The master's run_id as the sentinel last read it from INFO; '' when it has not read it yet.
   * A sentinel forgets it on a failover (and knows none when just started) and reads it again at
   * its next INFO of the master, which comes up to 10 s later.
   */
  readonly runId: string;
  /** The master's address, `ip:port`. */
  readonly address: string;
  readonly masterFlags: string;
  readonly promotable: string[];
}

/** Flags of a master or replica that a sentinel is failing over, cannot reach, or would not promote. */
export const DOWN_FLAGS = /\b(s_down|o_down|disconnected|failover_in_progress|promoted)\b/;

/**
 * Whether an answer counts toward the majority. An answer that names the master's process (its
 * run_id) always counts. One that names only its address counts when the sentinel reaches the
 * master and sees nothing wrong with it; if it flags it (a sentinel just started, or just after a
 * failover, is still connecting), it has no view to give and counts as not answering.
 */
export function isUsableAnswer(answer: SentinelAnswer): boolean {
  return answer.runId !== '' || !DOWN_FLAGS.test(answer.masterFlags);
}

/**
 * What `answers` (from `known` sentinels, `needed` of them a majority) say: the snapshot they agree
 * on, or why they do not confirm a master. They must name one master address, with no failover
 * under way, and at least one of them must name its process (run_id), every such one the same:
 * the others, which have not read the master's INFO since a failover or since they started,
 * agree by address with a sentinel that has.
 */
export function judgeAnswers(answers: readonly SentinelAnswer[], known: number, needed: number): SentinelViewSnapshot | SentinelViewUnconfirmed {
  const addresses = new Set(answers.map((a) => a.address));
  const identified = answers.filter((a) => a.runId !== '');
  const runIds = new Set(identified.map((a) => a.runId));
  if (addresses.size > 1 || runIds.size > 1) return new SentinelViewUnconfirmed(`the sentinels name ${Math.max(addresses.size, runIds.size)} different masters (a failover is under way)`);
  const busy = answers.find((a) => DOWN_FLAGS.test(a.masterFlags));
  if (busy) return new SentinelViewUnconfirmed(`a sentinel flags the master "${busy.masterFlags}"`);
  if (answers.length < needed) return new SentinelViewUnconfirmed(`only ${answers.length} of ${known} sentinels answered (${needed} needed)`);
  if (identified.length === 0) {
    return new SentinelViewUnconfirmed(`none of the ${answers.length} sentinels that answered knows the master's run_id yet (they read it from INFO up to 10 s after a failover)`);
  }
  return { masterRunId: identified[0].runId, promotable: [...new Set(answers.flatMap((a) => a.promotable))].sort(), agreeing: answers.length, known };
}
