/** Something with a deadline the scheduler can expire. */
export interface Expirable {
  /** Absolute deadline in epoch ms. */
  readonly deadline: number;
  /** Position in the scheduler's heap; -1 when not scheduled (managed by the scheduler). */
  heapIndex: number;
  /** Called once when `deadline` has passed while still scheduled. */
  expire(): void;
}

/** Longest delay `setTimeout` accepts (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A min-heap of deadlines driven by ONE unref'd timer, so a deadline costs O(log n) heap work
 * instead of a timer per call. The timer is armed for the earliest deadline and re-armed only when
 * an earlier one arrives; a completed call is removed from the heap and never touches the timer
 * (a timer that finds nothing due simply re-arms for the new earliest deadline, if any).
 */
export class DeadlineScheduler {
  private heap: Expirable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedAt = Infinity;

  /** @param now clock in epoch ms (default `Date.now`, which jest fake timers control). */
  constructor(private readonly now: () => number = Date.now) {}

  /** Number of scheduled deadlines. */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item.expire()` at `item.deadline` (an infinite deadline is never scheduled). */
  add(item: Expirable): void {
    if (item.deadline === Infinity) return;
    const heap = this.heap;
    item.heapIndex = heap.length;
    heap.push(item);
    this.siftUp(item.heapIndex);
    if (item.deadline < this.armedAt) this.arm(item.deadline);
  }

  /** Unschedules `item` (no-op when it is not scheduled). */
  remove(item: Expirable): void {
    const index = item.heapIndex;
    if (index < 0) return;
    item.heapIndex = -1;
    const heap = this.heap;
    const last = heap.pop() as Expirable;
    if (index < heap.length) {
      heap[index] = last;
      last.heapIndex = index;
      this.siftDown(index);
      this.siftUp(last.heapIndex);
    }
  }

  /** Drops every scheduled deadline and stops the timer. */
  shutdown(): void {
    for (const item of this.heap) item.heapIndex = -1;
    this.heap = [];
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - this.now())));
    this.timer = setTimeout(this.onTimer, delay);
    this.timer.unref?.();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    const heap = this.heap;
    while (heap.length > 0 && heap[0].deadline <= now) {
      const item = heap[0];
      this.remove(item);
      item.expire();
    }
    if (heap.length > 0) this.arm(heap[0].deadline);
  };

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent.deadline <= item.deadline) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.heapIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const item = heap[index];
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && heap[right].deadline < heap[left].deadline ? right : left;
      if (heap[child].deadline >= item.deadline) break;
      heap[index] = heap[child];
      heap[index].heapIndex = index;
      index = child;
    }
    heap[index] = item;
    item.heapIndex = index;
  }
}
