import { spawn } from 'node:child_process';
import { commandLine, isPaused } from './process-info';
import { waitUntil } from './wait-until';

describe('process info (/proc)', () => {
  it('tells a SIGSTOPped process from a running one (/proc)', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = child.pid as number;
    try {
      expect(isPaused(pid)).toBe(false);
      process.kill(pid, 'SIGSTOP');
      await waitUntil(() => isPaused(pid), { timeoutMs: 5000, message: 'the child to be stopped' });
      process.kill(pid, 'SIGCONT');
      await waitUntil(() => !isPaused(pid), { timeoutMs: 5000, message: 'the child to run again' });
    } finally {
      child.kill('SIGKILL');
    }
    expect(isPaused(undefined)).toBe(false);
    expect(isPaused(2 ** 22 + 12345)).toBe(false);
  });

  it('reads the command line of a live process, and nothing of a gone one', () => {
    expect(commandLine(process.pid)).toContain(process.execPath.split('/').pop());
    expect(commandLine(2 ** 22 + 12345)).toBe('');
  });
});
