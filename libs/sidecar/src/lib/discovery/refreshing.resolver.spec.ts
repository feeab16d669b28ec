import type { ServiceInstance } from '../core/instance';
import { RefreshingResolver } from './refreshing.resolver';

const inst = (id: string, address = `${id}:1`): ServiceInstance => ({ id, service: 's', address, zone: '', weight: 1, metadata: {} });

/** A resolver whose source is driven by the test: each load waits for `answer()`/`reject()`. */
class ScriptedResolver extends RefreshingResolver {
  loads = 0;
  private pending: Array<{ resolve: (v: readonly ServiceInstance[]) => void; reject: (e: unknown) => void }> = [];
  constructor(refreshMs = 1_000, timeoutMs = 500, emptyGraceMs = 0) {
    super('s', refreshMs, timeoutMs, 'test', emptyGraceMs);
  }
  protected load(): Promise<readonly ServiceInstance[]> {
    this.loads++;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  answer(view: readonly ServiceInstance[]): void {
    this.pending.shift()?.resolve(view);
  }
  rejectLoad(error: unknown): void {
    this.pending.shift()?.reject(error);
  }
  get waiting(): number {
    return this.pending.length;
  }
  push(change: (v: readonly ServiceInstance[]) => readonly ServiceInstance[]): void {
    this.applyChange(change);
  }
}

describe('RefreshingResolver', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('never runs two loads at once: refreshes join the running one', async () => {
    const r = new ScriptedResolver();
    const start = r.start();
    await jest.advanceTimersByTimeAsync(0);
    void r.refresh();
    void r.refresh();
    expect(r.loads).toBe(1);
    r.answer([inst('a')]);
    await start;
    expect(r.instances().map((i) => i.id)).toEqual(['a']);
    await r.shutdown();
  });

  it('a pushed change during a load wins: the older load result is discarded and reloaded', async () => {
    const r = new ScriptedResolver();
    const start = r.start();
    await jest.advanceTimersByTimeAsync(0);
    r.answer([inst('a'), inst('b')]);
    await start;
    const refresh = r.refresh(); // load #2 starts (it would still see b)
    r.push((v) => v.filter((i) => i.id !== 'b')); // leave event of b arrives meanwhile
    expect(r.instances().map((i) => i.id)).toEqual(['a']);
    r.answer([inst('a'), inst('b')]); // stale answer
    await refresh;
    expect(r.instances().map((i) => i.id)).toEqual(['a']);
    expect(r.loads).toBe(3); // reloaded once more
    r.answer([inst('a')]);
    await jest.advanceTimersByTimeAsync(0);
    expect(r.instances().map((i) => i.id)).toEqual(['a']);
    await r.shutdown();
  });

  it('marks the view stale on timeout and on failure, keeps it, and clears stale on success', async () => {
    const r = new ScriptedResolver(10_000, 500);
    const start = r.start();
    await jest.advanceTimersByTimeAsync(0);
    r.answer([inst('a')]);
    await start;
    const view = r.instances();
    void r.refresh();
    await jest.advanceTimersByTimeAsync(500);
    expect(r.stale).toBe(true);
    expect(r.error?.message).toBe('test resolver for "s": load timed out after 500 ms');
    r.rejectLoad(new Error('boom'));
    await jest.advanceTimersByTimeAsync(0);
    expect(r.error?.message).toBe('test resolver for "s": load failed: boom');
    expect(r.instances()).toBe(view);
    void r.refresh();
    r.answer([inst('a')]);
    await jest.advanceTimersByTimeAsync(0);
    expect(r.stale).toBe(false);
    expect(r.instances()).toBe(view);
    await r.shutdown();
  });

  it('does not pile up loads while the source hangs (one in flight per resolver)', async () => {
    const r = new ScriptedResolver(100, 50);
    void r.start();
    await jest.advanceTimersByTimeAsync(5_000); // 50 refresh periods, the first load never answers
    expect(r.loads).toBe(1);
    expect(r.stale).toBe(true);
    r.answer([inst('a')]);
    await jest.advanceTimersByTimeAsync(100);
    expect(r.loads).toBe(2);
    await r.shutdown();
  });

  it('emits onChange only for real changes; start is idempotent; shutdown stops refreshing', async () => {
    const r = new ScriptedResolver(1_000);
    const changes: string[][] = [];
    r.onChange((v) => changes.push(v.map((i) => i.address)));
    const start = r.start();
    expect(r.start()).toBe(start);
    await jest.advanceTimersByTimeAsync(0);
    r.answer([inst('b'), inst('a')]);
    await start;
    await jest.advanceTimersByTimeAsync(1_000);
    r.answer([inst('a'), inst('b')]);
    await jest.advanceTimersByTimeAsync(1_000);
    r.answer([inst('a'), inst('b', 'b:2')]);
    await jest.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([
      ['a:1', 'b:1'],
      ['a:1', 'b:2'],
    ]);
    await r.shutdown();
    const loads = r.loads;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(r.loads).toBe(loads);
  });

  it('distrusts a load that suddenly lists nothing for emptyGraceMs, then accepts it', async () => {
    const r = new ScriptedResolver(1_000, 500, 5_000);
    const changes: string[][] = [];
    r.onChange((v) => changes.push(v.map((i) => i.id)));
    const start = r.start();
    await jest.advanceTimersByTimeAsync(0);
    r.answer([inst('a'), inst('b')]);
    await start;
    await jest.advanceTimersByTimeAsync(1_000);
    r.answer([]); // the source came back empty
    await jest.advanceTimersByTimeAsync(0);
    expect(r.instances().map((i) => i.id)).toEqual(['a', 'b']);
    expect(r.stale).toBe(true);
    await jest.advanceTimersByTimeAsync(1_000);
    r.answer([inst('b')]); // instances heartbeat themselves back: trusted again at once
    await jest.advanceTimersByTimeAsync(0);
    expect(r.instances().map((i) => i.id)).toEqual(['b']);
    expect(r.stale).toBe(false);
    for (let t = 0; t < 6; t++) {
      await jest.advanceTimersByTimeAsync(1_000);
      r.answer([]); // really gone: accepted once the grace has passed
    }
    await jest.advanceTimersByTimeAsync(0);
    expect(r.instances()).toEqual([]);
    expect(r.stale).toBe(false);
    expect(changes).toEqual([['a', 'b'], ['b'], []]);
    await r.shutdown();
  });

  it('applies an empty load at once without a grace period, or when leaves emptied the view', async () => {
    const r = new ScriptedResolver(1_000, 500, 0);
    const start = r.start();
    await jest.advanceTimersByTimeAsync(0);
    r.answer([inst('a')]);
    await start;
    void r.refresh();
    r.answer([]);
    await jest.advanceTimersByTimeAsync(0);
    expect(r.instances()).toEqual([]);
    const g = new ScriptedResolver(1_000, 500, 60_000);
    const gStart = g.start();
    await jest.advanceTimersByTimeAsync(0);
    g.answer([inst('a')]);
    await gStart;
    g.push(() => []); // leave event
    void g.refresh();
    g.answer([]);
    await jest.advanceTimersByTimeAsync(0);
    expect(g.instances()).toEqual([]);
    expect(g.stale).toBe(false);
    await r.shutdown();
    await g.shutdown();
  });
});
