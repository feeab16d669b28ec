import { spawn } from 'node:child_process';
import { waitUntil } from '@failsoft/testing';
import { breakersOf, isPaused, leaseHolder } from './platform-chaos-target';

describe('platform chaos target helpers', () => {
  it('reads the holder of a lease record "<token>:<holderId>"', () => {
    expect(leaseHolder('42:feed-1')).toBe('feed-1');
    expect(leaseHolder('7:host:with:colons')).toBe('host:with:colons');
    expect(leaseHolder(null)).toBeNull();
    expect(leaseHolder('')).toBeNull();
  });

  it('reads breaker states out of a sidecar /snapshot', () => {
    const snapshot = {
      service: 'gateway',
      downstreams: [
        { service: 'likes', breaker: 'open', instances: [{ id: 'likes-1', address: '127.0.0.1:5001', breaker: 'open' }, { id: 'likes-2', address: '127.0.0.1:5002', breaker: 'halfOpen' }] },
        { service: 'feed', breaker: 'closed', instances: [] },
      ],
    };
    expect(breakersOf(snapshot)).toEqual({ likes: 'open', 'likes@127.0.0.1:5001': 'open', 'likes@127.0.0.1:5002': 'halfOpen', feed: 'closed' });
    expect(breakersOf(undefined)).toEqual({});
    expect(breakersOf({ downstreams: 'nope' })).toEqual({});
  });

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
});
