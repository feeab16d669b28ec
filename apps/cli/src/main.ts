import { workspaceRoot } from '@failsoft/local-runtime';
import { runCli } from './app/cli';

// `failsoft status | head` closes the pipe early: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/** `failsoft <command>`: see `failsoft --help`. */
async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    io: {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
      ...(process.stderr.isTTY ? { rewrite: (line: string) => process.stderr.write(`\r\x1b[2K${line.slice(0, Math.max(20, (process.stderr.columns || 120) - 1))}`) } : {}),
    },
    workspace: workspaceRoot(),
    entry: __filename,
    env: process.env,
  });
  process.exitCode = code;
}

main().catch((error: unknown) => {
  process.stderr.write(`failsoft: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
