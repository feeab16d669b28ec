import { ApiError } from '../errors/api-error';
import { FAULT_MAX_DELAY_MS, FAULT_MAX_TTL_S, parseConsoleAction } from './console-action';

const fixedId = () => 'console-test';

function refusal(body: unknown): { status: number; code: string; message: string } {
  try {
    parseConsoleAction(body, fixedId);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    const e = error as ApiError;
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error(`expected ${JSON.stringify(body)} to be refused`);
}

describe('parseConsoleAction', () => {
  it('accepts every action with its fields (KILL by default)', () => {
    expect(parseConsoleAction({ action: 'kill', target: 'likes-1' }, fixedId)).toEqual({ action: 'kill', target: 'likes-1', signal: 'KILL' });
    expect(parseConsoleAction({ action: 'kill', target: 'feed-12', signal: 'STOP' }, fixedId)).toEqual({ action: 'kill', target: 'feed-12', signal: 'STOP' });
    expect(parseConsoleAction({ action: 'revive', target: 'gateway-2' }, fixedId)).toEqual({ action: 'revive', target: 'gateway-2' });
    expect(parseConsoleAction({ action: 'kill-service', target: 'likes' }, fixedId)).toEqual({ action: 'kill-service', target: 'likes' });
    expect(parseConsoleAction({ action: 'revive-service', target: 'gateway' }, fixedId)).toEqual({ action: 'revive-service', target: 'gateway' });
    expect(parseConsoleAction({ action: 'redis-failover' }, fixedId)).toEqual({ action: 'redis-failover' });
    expect(parseConsoleAction({ action: 'clear-faults' }, fixedId)).toEqual({ action: 'clear-faults' });
    expect(parseConsoleAction({ action: 'add-fault', fault: { service: 'likes', method: 'Counts', delayMs: 300 } }, fixedId, 1_000_000)).toEqual({
      action: 'add-fault',
      fault: { id: 'console-test', service: 'likes', method: 'Counts', delayMs: 300, expiresAt: 1_000_000 + FAULT_MAX_TTL_S * 1000 },
    });
    expect(parseConsoleAction({ action: 'add-fault', fault: { service: 'likes', delayMs: 300, ttlS: 30 } }, fixedId, 1_000_000)).toMatchObject({ fault: { expiresAt: 1_030_000 } });
    expect(parseConsoleAction({ action: 'add-fault', fault: { service: 'feed', abortPercent: 50 } }, fixedId)).toMatchObject({ fault: { service: 'feed', abortPercent: 50 } });
  });

  it('gives every added fault a fresh id by default', () => {
    const a = parseConsoleAction({ action: 'add-fault', fault: { service: 'likes', abortPercent: 10 } });
    const b = parseConsoleAction({ action: 'add-fault', fault: { service: 'likes', abortPercent: 10 } });
    expect(a).toMatchObject({ fault: { id: expect.stringMatching(/^console-[0-9a-f]{8}$/) } });
    expect(a).not.toEqual(b);
  });

  it('refuses bodies that are not objects', () => {
    for (const body of [undefined, null, 'kill', 42, [{ action: 'kill' }]]) expect(refusal(body)).toMatchObject({ status: 400, code: 'INVALID_BODY' });
  });

  it('refuses unknown actions, naming the known ones', () => {
    expect(refusal({ action: 'reboot' })).toMatchObject({ status: 400, code: 'INVALID_ACTION', message: expect.stringMatching(/one of kill, revive, kill-service.*got "reboot"/) });
    expect(refusal({})).toMatchObject({ code: 'INVALID_ACTION', message: expect.stringMatching(/got nothing/) });
    expect(refusal({ action: ['kill'] })).toMatchObject({ code: 'INVALID_ACTION', message: expect.stringMatching(/got an array/) });
  });

  it('refuses bad targets: ids must look like likes-1, services must be known', () => {
    for (const target of ['likes', 'likes-0', 'likes-1; rm -rf /', '../likes-1', 'redis-1', 'haproxy', 'haproxy-0', 'front-door', 'front-door-10', 'vip-forwarder', 'LIKES-1', 'likes-1000', 7, undefined]) {
      expect({ target, ...refusal({ action: 'kill', target }) }).toMatchObject({ target, status: 400, code: 'INVALID_FIELD' });
    }
    expect(refusal({ action: 'revive', target: 'likes' })).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/instance id like "likes-1"/) });
    expect(refusal({ action: 'kill-service', target: 'likes-1' })).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/must be a service/) });
    expect(refusal({ action: 'revive-service', target: 'redis' })).toMatchObject({ code: 'INVALID_FIELD' });
  });

  it('takes a front door (npm start: haproxy-<n>; compose: front-door-<n>) as a kill or revive target, not as a service', () => {
    expect(parseConsoleAction({ action: 'kill', target: 'haproxy-2' })).toEqual({ action: 'kill', target: 'haproxy-2', signal: 'KILL' });
    expect(parseConsoleAction({ action: 'kill', target: 'front-door-1', signal: 'STOP' })).toEqual({ action: 'kill', target: 'front-door-1', signal: 'STOP' });
    expect(parseConsoleAction({ action: 'revive', target: 'front-door-1' })).toEqual({ action: 'revive', target: 'front-door-1' });
    expect(refusal({ action: 'kill-service', target: 'haproxy' })).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/must be a service/) });
  });

  it('refuses killing every gateway (it would cut the console off) but allows one', () => {
    expect(refusal({ action: 'kill-service', target: 'gateway' })).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/every gateway/) });
    expect(parseConsoleAction({ action: 'kill', target: 'gateway-1' })).toMatchObject({ target: 'gateway-1' });
  });

  it('refuses bad signals and fields the action does not take', () => {
    for (const signal of ['kill', 'HUP', 'SIGKILL', 9, null]) expect(refusal({ action: 'kill', target: 'likes-1', signal })).toMatchObject({ code: 'INVALID_FIELD' });
    expect(refusal({ action: 'revive', target: 'likes-1', signal: 'KILL' })).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/"signal" is not a field of action "revive"/) });
    expect(refusal({ action: 'redis-failover', target: 'likes' })).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/takes no other field/) });
  });

  it('refuses fault rules the sidecar would not accept', () => {
    const fault = (f: unknown) => refusal({ action: 'add-fault', fault: f });
    expect(fault(undefined)).toMatchObject({ code: 'INVALID_FAULT' });
    expect(fault({ service: 'likes' })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/injects nothing/) });
    expect(fault({ service: 'gateway', delayMs: 10 })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/upload, likes or feed/) });
    expect(fault({ service: '*', delayMs: 10 })).toMatchObject({ code: 'INVALID_FAULT' });
    expect(fault({ service: 'likes', abortPercent: 150 })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/abortPercent must be a number from 0 to 100; got 150/) });
    expect(fault({ service: 'likes', delayMs: -1 })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/delayMs/) });
    expect(fault({ service: 'likes', delayMs: '300' })).toMatchObject({ code: 'INVALID_FAULT' });
    expect(fault({ service: 'likes', method: 'Counts; DROP', delayMs: 300 })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/method/) });
    expect(fault({ service: 'likes', delayMs: 600_000 })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(`at most ${FAULT_MAX_DELAY_MS} ms`) });
    for (const ttlS of [0, FAULT_MAX_TTL_S + 1, 1.5, '60', null]) expect(fault({ service: 'likes', delayMs: 10, ttlS })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/fault.ttlS/) });
    expect(fault({ service: 'likes', delayMs: 300, id: 'mine' })).toMatchObject({ code: 'INVALID_FAULT', message: expect.stringMatching(/"fault.id" is not accepted/) });
  });
});
