import type { CliContext } from './command';
import { controlAgentCommand } from './control-agent';

function context(env: NodeJS.ProcessEnv): CliContext & { errors: string[] } {
  const errors: string[] = [];
  return { io: { out: () => undefined, err: (t) => errors.push(t) }, workspace: '/', entry: '', env, errors };
}

describe('failsoft control-agent', () => {
  it('never serves without a token of 16+ characters (exit 78, saying so)', async () => {
    const ctx = context({ FAILSOFT_CONTROL_TOKEN: 'short' });
    expect(await controlAgentCommand.run({}, ctx)).toBe(78);
    expect(ctx.errors.join('\n')).toMatch(/FAILSOFT_CONTROL_TOKEN must be set to 16 or more characters \(got 5\)/);
  });

  it('refuses a bad port (exit 2) before anything else', async () => {
    const token = { FAILSOFT_CONTROL_TOKEN: 'a-token-of-enough-length' };
    const bad = context(token);
    expect(await controlAgentCommand.run({ port: '70000' }, bad)).toBe(2);
    expect(bad.errors.join('\n')).toMatch(/--port must be a port number; got "70000"/);
  });
});
