import { DurabilityError } from './durable/durability.error';
import { OfflineQueueFullError } from './client/offline-queue-full.error';
import { stateFailureKind } from './state-failure';

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('stateFailureKind', () => {
  it('tells an unconfirmed write from an outage and from a bug', () => {
    expect(stateFailureKind(new DurabilityError('TIMEOUT', 0, 1, 1000))).toBe('not-durable');
    expect(stateFailureKind(new OfflineQueueFullError(10, 'SET'))).toBe('unavailable');
    expect(stateFailureKind(replyError('READONLY You cannot write against a read only replica.'))).toBe('unavailable');
    expect(stateFailureKind(new Error('Connection is closed.'))).toBe('unavailable');
    expect(stateFailureKind(replyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe('bug');
    expect(stateFailureKind(replyError('ERR Error running script'))).toBe('bug');
    // an ERR that is not a reply of Redis (e.g. a message of ours) is not taken for a bug
    expect(stateFailureKind(new Error('ERR something'))).toBe('unavailable');
  });
});
