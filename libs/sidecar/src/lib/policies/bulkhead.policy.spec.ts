import { isInvalidOptionsError } from '../core/sidecar.error';
import { BulkheadRejectedError, isBulkheadRejectedError } from './bulkhead-rejected.error';
import { BulkheadPolicy } from './bulkhead.policy';

interface Gate {
  promise: Promise<string>;
  open: (value?: string) => void;
  fail: (error: Error) => void;
}
function gate(): Gate {
  let open!: (value?: string) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<string>((resolve, reject) => {
    open = (value = 'done') => resolve(value);
    fail = reject;
  });
  return { promise, open, fail };
}
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('BulkheadPolicy', () => {
  it('runs up to maxConcurrent calls and fails fast beyond (no queue)', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 2, name: 'likes' });
    const rejects: number[] = [];
    bulkhead.onReject((e) => rejects.push(e.executing));
    const a = gate();
    const b = gate();
    const p1 = bulkhead.execute(() => a.promise);
    const p2 = bulkhead.execute(() => b.promise);
    expect(bulkhead.executionSlots).toBe(0);
    const fn = jest.fn();
    const overflow = bulkhead.execute(fn);
    await expect(overflow).rejects.toBeInstanceOf(BulkheadRejectedError);
    await expect(overflow).rejects.toMatchObject({ code: 'BULKHEAD_REJECTED', bulkhead: 'likes' });
    await expect(overflow).rejects.toThrow(/shed by bulkhead "likes"/);
    expect(fn).not.toHaveBeenCalled();
    expect(rejects).toEqual([2]);
    a.open('a');
    b.open('b');
    await expect(Promise.all([p1, p2])).resolves.toEqual(['a', 'b']);
    expect(bulkhead.executionSlots).toBe(2);
  });

  it('frees the slot when fn fails or throws synchronously', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1 });
    await expect(bulkhead.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(
      bulkhead.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(bulkhead.executionSlots).toBe(1);
    await expect(bulkhead.execute(() => 'ok')).resolves.toBe('ok');
  });

  it('queues up to maxQueue calls and runs them FIFO as slots free', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 2 });
    const order: string[] = [];
    const first = gate();
    const p1 = bulkhead.execute(() => first.promise);
    const p2 = bulkhead.execute(async () => {
      order.push('second');
      return 'second';
    });
    const p3 = bulkhead.execute(async () => {
      order.push('third');
      return 'third';
    });
    expect(bulkhead.queueSlots).toBe(0);
    await expect(bulkhead.execute(() => 'x')).rejects.toMatchObject({ code: 'BULKHEAD_REJECTED' });
    expect(order).toEqual([]);
    first.open('first');
    await expect(Promise.all([p1, p2, p3])).resolves.toEqual(['first', 'second', 'third']);
    expect(order).toEqual(['second', 'third']);
    expect(bulkhead.queueSlots).toBe(2);
    expect(bulkhead.executionSlots).toBe(1);
  });

  it('removes queued work whose signal aborts', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 1 });
    const running = gate();
    const p1 = bulkhead.execute(() => running.promise);
    const controller = new AbortController();
    const fn = jest.fn(() => 'late');
    const queued = bulkhead.execute(fn, controller.signal);
    expect(bulkhead.queueSlots).toBe(0);
    controller.abort(new Error('caller left'));
    await expect(queued).rejects.toThrow('caller left');
    expect(bulkhead.queueSlots).toBe(1);
    running.open();
    await p1;
    await flush();
    expect(fn).not.toHaveBeenCalled();
  });

  it('refuses to queue work whose signal is already aborted', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 1 });
    const running = gate();
    void bulkhead.execute(() => running.promise);
    const controller = new AbortController();
    controller.abort(new Error('already gone'));
    await expect(bulkhead.execute(() => 'x', controller.signal)).rejects.toThrow('already gone');
    expect(bulkhead.queueSlots).toBe(1);
    running.open();
  });

  it('marks per-instance rejections with the instance id', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, instanceId: 'likes-1' });
    const running = gate();
    void bulkhead.execute(() => running.promise);
    const error = await bulkhead.execute(() => 'x').catch((e: unknown) => e);
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect((error as BulkheadRejectedError).instanceId).toBe('likes-1');
    running.open();
  });

  it('shutdown sheds the queue and new calls; running calls finish', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 5 });
    const running = gate();
    const p1 = bulkhead.execute(() => running.promise);
    const queued = bulkhead.execute(() => 'queued');
    bulkhead.shutdown();
    await expect(queued).rejects.toThrow(/shut down/);
    await expect(bulkhead.execute(() => 'new')).rejects.toMatchObject({ code: 'BULKHEAD_REJECTED' });
    running.open('finished');
    await expect(p1).resolves.toBe('finished');
  });

  it.each([
    [{ maxConcurrent: 0 }, 'bulkhead.maxConcurrent must be an integer from 1 to 1000000; got 0'],
    [{ maxConcurrent: 2.5 }, 'bulkhead.maxConcurrent must be an integer from 1 to 1000000; got 2.5'],
    [{ maxConcurrent: 1, maxQueue: -1 }, 'bulkhead.maxQueue must be an integer from 0 to 1000000; got -1'],
    [{ maxConcurrent: 1, name: '' }, 'bulkhead.name must be a non-empty string; got ""'],
    [{ maxConcurrent: 1, instanceId: 3 }, 'bulkhead.instanceId must be a non-empty string; got 3'],
    [null, 'bulkhead must be an object; got null'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new BulkheadPolicy(options as never)).toThrow(message);
    try {
      new BulkheadPolicy(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
