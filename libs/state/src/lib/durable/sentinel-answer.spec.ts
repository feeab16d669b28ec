import { isUsableAnswer, judgeAnswers, SentinelViewUnconfirmed, type SentinelAnswer } from './sentinel-answer';

const RUN_A = 'a'.repeat(40);
const RUN_B = 'b'.repeat(40);
const answer = (overrides: Partial<SentinelAnswer> = {}): SentinelAnswer => ({ runId: RUN_A, address: '10.0.0.1:6379', masterFlags: 'master', promotable: ['10.0.0.2:6379'], ...overrides });
const reason = (verdict: unknown): string => (verdict instanceof SentinelViewUnconfirmed ? verdict.message : `confirmed ${JSON.stringify(verdict)}`);

/** The rule that turns the sentinels' answers into a confirmed master or a refusal. */
describe('judgeAnswers', () => {
  it('confirms a majority naming one master, with the union of the replicas they could promote', () => {
    const verdict = judgeAnswers([answer(), answer({ promotable: ['10.0.0.3:6379', '10.0.0.2:6379'] })], 3, 2);
    expect(verdict).toEqual({ masterRunId: RUN_A, promotable: ['10.0.0.2:6379', '10.0.0.3:6379'], agreeing: 2, known: 3 });
  });

  it('counts a sentinel that has not read the run_id yet when it names the same address as one that has', () => {
    expect(judgeAnswers([answer({ runId: '' }), answer()], 3, 2)).toMatchObject({ masterRunId: RUN_A, agreeing: 2 });
  });

  it('refuses when none of the answers names the run_id, when they name different masters, or when too few answer', () => {
    expect(reason(judgeAnswers([answer({ runId: '' }), answer({ runId: '' })], 3, 2))).toMatch(/^none of the 2 sentinels that answered knows the master's run_id yet/);
    expect(reason(judgeAnswers([answer(), answer({ runId: RUN_B })], 3, 2))).toBe('the sentinels name 2 different masters (a failover is under way)');
    expect(reason(judgeAnswers([answer(), answer({ runId: '', address: '10.0.0.2:6379' })], 3, 2))).toBe('the sentinels name 2 different masters (a failover is under way)');
    expect(reason(judgeAnswers([answer()], 3, 2))).toBe('only 1 of 3 sentinels answered (2 needed)');
  });

  it('refuses while a sentinel that names the run_id flags the master down or failing over', () => {
    expect(reason(judgeAnswers([answer(), answer({ masterFlags: 'master,s_down' })], 3, 2))).toBe('a sentinel flags the master "master,s_down"');
    expect(reason(judgeAnswers([answer({ masterFlags: 'master,failover_in_progress' }), answer()], 3, 2))).toBe('a sentinel flags the master "master,failover_in_progress"');
  });
});

describe('isUsableAnswer', () => {
  it('takes an answer with a run_id as it is, and one without only when the master shows no trouble', () => {
    expect(isUsableAnswer(answer({ masterFlags: 'master,s_down' }))).toBe(true);
    expect(isUsableAnswer(answer({ runId: '' }))).toBe(true);
    expect(isUsableAnswer(answer({ runId: '', masterFlags: 'master,disconnected' }))).toBe(false);
  });
});
