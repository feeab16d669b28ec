import { DeadlineScheduler, type Expirable } from './deadline-scheduler';

function item(deadline: number, fired: number[]): Expirable {
  return { deadline, heapIndex: -1, expire: () => fired.push(deadline) };
}

describe('DeadlineScheduler', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('expires items in deadline order with a single timer', () => {
    const scheduler = new DeadlineScheduler();
    const fired: number[] = [];
    for (const d of [500, 100, 300, 200, 400]) scheduler.add(item(d, fired));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(250);
    expect(fired).toEqual([100, 200]);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual([100, 200, 300, 400, 500]);
    expect(scheduler.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never fires removed items and keeps the heap consistent', () => {
    const scheduler = new DeadlineScheduler();
    const fired: number[] = [];
    const items = [50, 10, 40, 20, 30, 60, 5].map((d) => item(d, fired));
    items.forEach((i) => scheduler.add(i));
    scheduler.remove(items[1]); // 10
    scheduler.remove(items[6]); // 5
    scheduler.remove(items[6]); // twice is a no-op
    expect(items[6].heapIndex).toBe(-1);
    jest.advanceTimersByTime(100);
    expect(fired).toEqual([20, 30, 40, 50, 60]);
  });

  it('re-arms for an earlier deadline and ignores infinite ones', () => {
    const scheduler = new DeadlineScheduler();
    const fired: number[] = [];
    scheduler.add(item(1000, fired));
    scheduler.add(item(Infinity, fired));
    expect(scheduler.size).toBe(1);
    scheduler.add(item(10, fired));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(10);
    expect(fired).toEqual([10]);
  });

  it('does not create a timer per item', () => {
    const scheduler = new DeadlineScheduler();
    const spy = jest.spyOn(global, 'setTimeout');
    const fired: number[] = [];
    const items = Array.from({ length: 1000 }, (_, i) => item(1000 + i, fired));
    for (const i of items) scheduler.add(i);
    for (const i of items) scheduler.remove(i);
    expect(spy.mock.calls.length).toBe(1);
    spy.mockRestore();
  });

  it('shutdown drops everything and stops the timer', () => {
    const scheduler = new DeadlineScheduler();
    const fired: number[] = [];
    scheduler.add(item(10, fired));
    scheduler.shutdown();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(100);
    expect(fired).toEqual([]);
  });
});
