import type { CliIo } from '../commands/command';

/**
 * A live progress line on stderr: rewritten in place on a terminal ({@link CliIo.rewrite}), one
 * line per update otherwise. Permanent lines ({@link log}) are printed above it.
 */
export class ProgressLine {
  private live = false;

  constructor(private readonly io: CliIo) {}

  /** Shows `line` as the current progress. */
  update(line: string): void {
    if (this.io.rewrite) {
      this.io.rewrite(line);
      this.live = true;
    } else {
      this.io.err(line);
    }
  }

  /** A permanent line on stderr (clears the live line first). */
  log(line: string): void {
    this.clear();
    this.io.err(line);
  }

  /** Ends the live line (call before printing results). */
  clear(): void {
    if (this.live && this.io.rewrite) {
      this.io.rewrite('');
      this.live = false;
    }
  }
}
