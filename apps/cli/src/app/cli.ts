import { closest, formatFlags, parseFlags, UsageError, USAGE_EXIT_CODE } from './args';
import { COMMANDS, type CliContext, type Command } from './commands/index';

/** Help of the whole CLI. */
export function mainHelp(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'failsoft: run and break the Failsoft platform locally',
    '',
    'Usage: failsoft <command> [flags]      (npm start = failsoft up; npm run failsoft -- <command>)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'failsoft <command> --help' for the flags of a command.",
  ].join('\n');
}

/** Help of one command. */
export function commandHelp(command: Command): string {
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    ...(command.positionals?.length ? ['', 'Arguments:', ...command.positionals.map((p) => `  ${p.valueName}  ${p.description}`)] : []),
    ...(command.details?.length ? ['', ...command.details] : []),
    ...(command.flags.length ? ['', 'Flags:', ...formatFlags(command.flags), '  --help  show this help'] : ['', 'Flags:', '  --help  show this help']),
  ].join('\n');
}

/**
 * Runs `failsoft <argv...>` and resolves with the exit code: 0 on success, 2 on a usage error
 * (unknown command or flag, bad value: a message and a hint on stderr), else what the command says.
 */
export async function runCli(argv: readonly string[], ctx: CliContext, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    ctx.io.err(mainHelp(commands));
    return USAGE_EXIT_CODE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0] === undefined ? undefined : commands.find((c) => c.name === rest[0]);
    if (rest[0] !== undefined && !topic) return usageError(ctx, `failsoft: unknown command ${JSON.stringify(rest[0])}`, commands, rest[0]);
    ctx.io.out(topic ? commandHelp(topic) : mainHelp(commands));
    return 0;
  }
  if (first.startsWith('-')) return usageError(ctx, `failsoft: expected a command before flags; got ${JSON.stringify(first)}`, commands);
  const command = commands.find((c) => c.name === first);
  if (!command) return usageError(ctx, `failsoft: unknown command ${JSON.stringify(first)}`, commands, first);
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.io.out(commandHelp(command));
    return 0;
  }
  let flags;
  try {
    flags = parseFlags(`failsoft ${command.name}`, command.flags, rest, command.positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.io.err(`${error.message}\nRun 'failsoft ${command.name} --help' for its flags.`);
      return USAGE_EXIT_CODE;
    }
    throw error;
  }
  return command.run(flags, { ...ctx, commandNames: commands.map((c) => c.name) });
}

function usageError(ctx: CliContext, message: string, commands: readonly Command[], word?: string): number {
  const guess = word === undefined ? undefined : closest(word, commands.map((c) => c.name));
  ctx.io.err(
    `${message}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}\n` +
      `Commands: ${commands.map((c) => c.name).join(', ')}. Run 'failsoft --help' for usage.`,
  );
  return USAGE_EXIT_CODE;
}
