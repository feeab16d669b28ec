/** Something that can be stopped; returned by every `onX` listener registration. */
export interface Disposable {
  dispose(): void;
}

/** A typed event: `policy.onRetry((e) => ...)` returns a Disposable that removes the listener. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/** A minimal, allocation-light typed emitter (cockatiel style) backing an `onX` Event. */
export class EventEmitter<T> {
  private listeners: Array<(value: T) => void> = [];

  /** The public `onX` subscription function. */
  readonly event: Event<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };

  /** True when somebody listens (lets hot paths skip building event objects). */
  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  /** Delivers `value` to every listener; a throwing listener never breaks the caller. */
  emit(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch {
        // listeners are observers; their failures must not change the call's outcome
      }
    }
  }
}
