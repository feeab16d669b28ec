import { parseFlags, UsageError } from './args';
import { runCli } from './cli';
import type { CliContext, Command } from './commands/index';

/** A command that records what it was given instead of starting anything. */
function fakeUp(): Command & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    name: 'up',
    summary: 'start',
    usage: 'failsoft up',
    flags: [
      { name: 'front-door-port', type: 'port', valueName: '<port>', description: 'port' },
      { name: 'zones', type: 'integer', min: 1, max: 26, valueName: '<n>', description: 'zones' },
      { name: 'no-seed', type: 'boolean', description: 'no demo posts' },
      { name: 'log-level', type: 'choice', choices: ['debug', 'info'], description: 'level' },
    ],
    async run(flags) {
      calls.push(flags);
      return 0;
    },
  };
}

function harness(commands?: Command[]) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, workspace: '/tmp/ws', entry: '/tmp/main.js', env: {} };
  return { out, err, run: (...argv: string[]) => runCli(argv, ctx, commands) };
}

describe('failsoft command parsing', () => {
  it('passes valid flags to the command (--flag value and --flag=value)', async () => {
    const up = fakeUp();
    const h = harness([up]);
    expect(await h.run('up', '--front-door-port', '9090', '--zones=3', '--no-seed', '--log-level', 'debug')).toBe(0);
    expect(up.calls).toEqual([{ 'front-door-port': 9090, zones: 3, 'no-seed': true, 'log-level': 'debug' }]);
    expect(h.err).toEqual([]);
  });

  it('rejects an unknown command with a message, a suggestion and exit code 2', async () => {
    const h = harness();
    expect(await h.run('stauts')).toBe(2);
    expect(h.err.join('\n')).toMatch(/failsoft: unknown command "stauts" \(did you mean "status"\?\)/);
    expect(h.err.join('\n')).toMatch(/Commands: up, status, topology(, [a-z-]+)*\. Run 'failsoft --help' for usage\./);
    expect(await h.run('explode')).toBe(2);
    expect(h.err.join('\n')).toMatch(/unknown command "explode"\n/);
  });

  it('rejects an unknown flag naming it, with exit code 2', async () => {
    const up = fakeUp();
    const h = harness([up]);
    expect(await h.run('up', '--front-door')).toBe(2);
    expect(h.err[0]).toMatch(/^failsoft up: unknown flag --front-door \(did you mean --front-door-port\?\)/);
    expect(h.err[0]).toMatch(/Run 'failsoft up --help' for its flags\./);
    expect(await h.run('up', '--verbose')).toBe(2);
    expect(h.err[1]).toMatch(/unknown flag --verbose; flags are --front-door-port, --zones, --no-seed, --log-level, --help/);
    expect(up.calls).toEqual([]);
  });

  it('rejects bad ports and other bad values with exit code 2', async () => {
    const up = fakeUp();
    const h = harness([up]);
    for (const bad of ['abc', '0', '65536', '-1', '80.5']) {
      expect(await h.run('up', '--front-door-port', bad)).toBe(2);
    }
    expect(h.err[0]).toMatch(/failsoft up: --front-door-port must be a port number from 1 to 65535; got "abc"/);
    expect(h.err[1]).toMatch(/got "0"/);
    expect(h.err[2]).toMatch(/got "65536"/);
    expect(await h.run('up', '--front-door-port')).toBe(2);
    expect(h.err.at(-1)).toMatch(/--front-door-port needs a value <port>/);
    expect(await h.run('up', '--zones', '0')).toBe(2);
    expect(h.err.at(-1)).toMatch(/--zones must be an integer from 1 to 26; got "0"/);
    expect(await h.run('up', '--log-level', 'loud')).toBe(2);
    expect(h.err.at(-1)).toMatch(/--log-level must be one of debug, info; got "loud"/);
    expect(await h.run('up', '--no-seed=yes')).toBe(2);
    expect(h.err.at(-1)).toMatch(/--no-seed takes no value/);
    expect(await h.run('up', 'now')).toBe(2);
    expect(h.err.at(-1)).toMatch(/unexpected argument "now"/);
    expect(await h.run('up', '--zones', '2', '--zones', '3')).toBe(2);
    expect(h.err.at(-1)).toMatch(/--zones is given twice/);
    expect(up.calls).toEqual([]);
  });

  it('validates the real up command the same way (before starting anything)', async () => {
    const h = harness();
    expect(await h.run('up', '--front-door-port', 'http')).toBe(2);
    expect(h.err[0]).toMatch(/failsoft up: --front-door-port must be a port number from 1 to 65535; got "http"/);
    expect(await h.run('status', '--watch')).toBe(2);
    expect(h.err[1]).toMatch(/failsoft status: unknown flag --watch/);
  });

  it('prints help with exit 0 for --help, and usage with exit 2 when no command is given', async () => {
    const h = harness();
    expect(await h.run('--help')).toBe(0);
    expect(h.out[0]).toMatch(/Usage: failsoft <command>/);
    expect(h.out[0]).toMatch(/up\s+start the local platform/);
    expect(h.out[0]).toMatch(/status\s+show the running platform/);
    expect(await h.run('up', '--help')).toBe(0);
    expect(h.out[1]).toMatch(/Usage: failsoft up \[--front-door-port <port>\]/);
    expect(h.out[1]).toMatch(/--no-seed\s+do not create the demo posts/);
    expect(await h.run('help', 'status')).toBe(0);
    expect(h.out[2]).toMatch(/Usage: failsoft status/);
    expect(await h.run()).toBe(2);
    expect(h.err[0]).toMatch(/Usage: failsoft <command>/);
    expect(await h.run('--zones', '2')).toBe(2);
    expect(h.err[1]).toMatch(/expected a command before flags/);
  });

  it('parseFlags throws UsageError', () => {
    expect(() => parseFlags('x', [], ['--nope'])).toThrow(UsageError);
    expect(() => parseFlags('x', [], ['--nope'])).toThrow(/x: unknown flag --nope; it takes no flags but --help/);
  });
});
