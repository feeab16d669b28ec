import type { Command } from './command';
import { faultCommand } from './fault';
import { killCommand } from './kill';
import { loadCommand } from './load';
import { scenarioCommand } from './scenario';
import { monkeyCommand } from './monkey';
import { redisCommand } from './redis';
import { reviveCommand } from './revive';
import { sentinelCommand } from './sentinel';
import { statusCommand } from './status';
import { topologyCommand } from './topology';
import { upCommand } from './up';

/** Every `failsoft` command, in help order. Add new commands (kill, monkey, load, scenario) here. */
export const COMMANDS: readonly Command[] = [upCommand, statusCommand, topologyCommand, killCommand, reviveCommand, redisCommand, sentinelCommand, faultCommand, monkeyCommand, loadCommand, scenarioCommand];

export type { Command, CliContext, CliIo } from './command';
