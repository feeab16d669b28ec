import { anonymousCall, type PolicyContext } from '../core/policy';
import { AttemptContext, asPolicyContext, describeCall, isContextAborted, peekAborted } from './policy-context';

describe('policy context helpers', () => {
  it('hands a complete context through untouched', () => {
    const ctx: PolicyContext = { signal: new AbortController().signal, deadline: 5, attempt: 1, call: anonymousCall() };
    expect(asPolicyContext(ctx)).toBe(ctx);
  });

  it('normalises partial contexts, bare signals and nothing', () => {
    const call = { service: 's', method: 'm', idempotent: false, tried: [] };
    const partial = asPolicyContext({ call });
    expect(partial.call).toBe(call);
    expect(partial.deadline).toBe(Infinity);
    expect(partial.attempt).toBe(0);
    expect(partial.signal.aborted).toBe(false);

    const controller = new AbortController();
    expect(asPolicyContext(controller.signal).signal).toBe(controller.signal);
    expect(asPolicyContext().call.tried).toEqual([]);
  });

  it('does not read the signal of a lazy context', () => {
    const lazy = {
      deadline: 1,
      attempt: 0,
      call: anonymousCall(),
      get signal(): AbortSignal {
        throw new Error('signal must not be read');
      },
      [peekAborted]: () => true,
    };
    expect(asPolicyContext(lazy)).toBe(lazy);
    expect(isContextAborted(lazy)).toBe(true);
  });

  it('AttemptContext changes only the attempt and reads the rest through', () => {
    const controller = new AbortController();
    const parent: PolicyContext = { signal: controller.signal, deadline: 42, attempt: 0, call: anonymousCall() };
    const attempt = new AttemptContext(parent, 2);
    expect(attempt.attempt).toBe(2);
    expect(attempt.deadline).toBe(42);
    expect(attempt.call).toBe(parent.call);
    expect(attempt.signal).toBe(controller.signal);
    expect(isContextAborted(attempt)).toBe(false);
    controller.abort();
    expect(isContextAborted(attempt)).toBe(true);
  });

  it('describes calls for messages', () => {
    expect(describeCall({ service: 'likes', method: 'Like', idempotent: true, tried: [] })).toBe('likes.Like');
    expect(describeCall(anonymousCall())).toBe('call');
  });
});
