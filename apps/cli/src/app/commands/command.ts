import type { FlagSpec, ParsedFlags, PositionalSpec } from '../args';

/** Where a command writes (injectable for specs). */
export interface CliIo {
  /** A line (or lines) of normal output, to stdout. */
  out(text: string): void;
  /** A line (or lines) of diagnostics, to stderr. */
  err(text: string): void;
  /**
   * Rewrites the current stderr line in place (a live progress line), when stderr is a terminal;
   * absent otherwise (then progress goes through {@link err}, one line at a time).
   */
  rewrite?(line: string): void;
}

/** What every command gets. */
export interface CliContext {
  io: CliIo;
  /** The workspace root (holds nx.json, dist/, .failsoft/). */
  workspace: string;
  /** The CLI's own entry script (so `up` can run itself as a child). */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Names of every registered command (set by runCli), e.g. to hint at `failsoft kill` once it exists. */
  commandNames?: readonly string[];
}

/**
 * One `failsoft <name>` command. Each lives in its own file under commands/ and is listed in
 * commands/index.ts; later commands (kill, monkey, load, scenario) plug in the same way.
 */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line, e.g. `failsoft up [--front-door-port <port>] ...`. */
  usage: string;
  flags: readonly FlagSpec[];
  /** Positional arguments, in order (e.g. `kill <id>`), parsed into the flags under their names. */
  positionals?: readonly PositionalSpec[];
  /** Extra help paragraphs. */
  details?: readonly string[];
  /** Runs the command; resolves with the process exit code. */
  run(flags: ParsedFlags, ctx: CliContext): Promise<number>;
}
