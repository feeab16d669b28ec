/** One named step of a start, with what undoes it. */
export interface StartStep {
  /** Shown when its undo fails (`redis`, `services`, ...). */
  readonly name: string;
  /** Does the step. */
  run(): Promise<void> | void;
  /**
   * Undoes it. Called for every step that began, in reverse order, also for a step whose run
   * failed or is still in progress: an undo must tolerate a partial run.
   */
  undo?(): Promise<void> | void;
}

/**
 * Runs start steps in order and undoes the begun ones in reverse: `run` stops before the next step
 * once `cancelled()` is true (a stop came in), `undo` (a stop, or a failed start) undoes each begun
 * step once, last first; a failing undo is reported and the others still run.
 */
export class StartSteps {
  private readonly begun: StartStep[] = [];
  private undoing: Promise<void> | undefined;

  constructor(
    private readonly cancelled: () => boolean,
    private readonly onUndoError: (step: string, error: Error) => void,
  ) {}

  /** Runs `steps` in order. @returns false when a stop cancelled the rest. @throws the error of the failed step. */
  async run(steps: readonly StartStep[]): Promise<boolean> {
    for (const step of steps) {
      if (this.cancelled()) return false;
      this.begun.push(step);
      await step.run();
    }
    return !this.cancelled();
  }

  /** Undoes every begun step, last first (idempotent: a second call awaits the first). */
  undo(): Promise<void> {
    this.undoing ??= (async () => {
      for (let step = this.begun.pop(); step; step = this.begun.pop()) {
        try {
          await step.undo?.();
        } catch (error) {
          this.onUndoError(step.name, error as Error);
        }
      }
    })();
    return this.undoing;
  }
}
