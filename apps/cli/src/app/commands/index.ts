import type { Command } from './command';
import { statusCommand } from './status';
import { topologyCommand } from './topology';
import { upCommand } from './up';

/** Every `failsoft` command, in help order. Add new commands (kill, monkey, load, scenario) here. */
export const COMMANDS: readonly Command[] = [upCommand, statusCommand, topologyCommand];

export type { Command, CliContext, CliIo } from './command';
