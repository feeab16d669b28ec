import type { Command } from './command';
import { controlAgentCommand } from './control-agent';
import { faultCommand } from './fault';
import { killCommand } from './kill';
import { loadCommand } from './load';
import { scenarioCommand } from './scenario';
import { monkeyCommand } from './monkey';
import { healCommand, partitionCommand } from './partition';
import { redisCommand } from './redis';
import { reviveCommand } from './revive';
import { sentinelCommand } from './sentinel';
import { statusCommand } from './status';
import { topologyCommand } from './topology';
import { upCommand } from './up';
import { zoneCommand } from './zone';

/** Every `failsoft` command, in help order (a new command: docs/extending.md, "A chaos primitive"). */
export const COMMANDS: readonly Command[] = [upCommand, statusCommand, topologyCommand, killCommand, reviveCommand, redisCommand, sentinelCommand, zoneCommand, partitionCommand, healCommand, faultCommand, monkeyCommand, loadCommand, scenarioCommand, controlAgentCommand];

export type { Command, CliContext, CliIo } from './command';
