import { status } from '@grpc/grpc-js';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { validateFaultRule, type FaultRuleInput } from './fault-rule';

function messageOf(input: unknown): string {
  try {
    validateFaultRule(input as FaultRuleInput);
  } catch (error) {
    expect(isInvalidOptionsError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected validateFaultRule to throw');
}

describe('validateFaultRule', () => {
  it('fills in defaults', () => {
    expect(validateFaultRule({ id: 'r1', service: 'likes', abortPercent: 50 })).toEqual({
      id: 'r1',
      service: 'likes',
      method: '*',
      abortPercent: 50,
      abortCode: status.UNAVAILABLE,
      delayMs: 0,
      delayPercent: 100,
    });
  });

  it('accepts abort codes by name and keeps expiresAt', () => {
    const rule = validateFaultRule({ id: 'r2', service: '*', method: 'Like', abortPercent: 100, abortCode: 'resource_exhausted', expiresAt: 2_000_000_000_000 });
    expect(rule.abortCode).toBe(status.RESOURCE_EXHAUSTED);
    expect(rule.expiresAt).toBe(2_000_000_000_000);
    expect(Object.isFrozen(rule)).toBe(true);
  });

  it.each([
    [null, 'fault rule must be an object { id, service, method?, abortPercent?, abortCode?, delayMs?, delayPercent? }; got null'],
    [{ id: 'has space', service: 'x', abortPercent: 1 }, 'fault rule id must be 1-64 letters, digits, ".", "_", ":" or "-"; got "has space"'],
    [{ id: 'r', service: '', abortPercent: 1 }, 'fault rule "r": service must be a service name or "*"; got ""'],
    [{ id: 'r', service: 'x', method: 7, abortPercent: 1 }, 'fault rule "r": method must be a method name or "*"; got 7'],
    [{ id: 'r', service: 'x', abortPercent: 150 }, 'fault rule "r": abortPercent must be a number from 0 to 100; got 150'],
    [{ id: 'r', service: 'x', abortPercent: 10, abortCode: 0 }, 'fault rule "r": abortCode must be a gRPC status code from 1 to 16 or its name (e.g. "UNAVAILABLE"); got 0'],
    [{ id: 'r', service: 'x', abortPercent: 10, abortCode: 'NOPE' }, 'fault rule "r": abortCode must be a gRPC status code from 1 to 16 or its name (e.g. "UNAVAILABLE"); got "NOPE"'],
    [{ id: 'r', service: 'x', delayMs: -5 }, 'fault rule "r": delayMs must be an integer from 0 to 600000; got -5'],
    [{ id: 'r', service: 'x', delayMs: 10, delayPercent: 101 }, 'fault rule "r": delayPercent must be a number from 0 to 100; got 101'],
    [{ id: 'r', service: 'x' }, 'fault rule "r" injects nothing: set abortPercent > 0, or delayMs > 0 with delayPercent > 0'],
    [{ id: 'r', service: 'x', delayMs: 10, delayPercent: 0 }, 'fault rule "r" injects nothing: set abortPercent > 0, or delayMs > 0 with delayPercent > 0'],
    [{ id: 'r', service: 'x', abortPercent: 1, percent: 5 }, 'fault rule "r": unknown field "percent" (known: id, service, method, abortPercent, abortCode, delayMs, delayPercent, expiresAt)'],
  ])('rejects %j', (input, message) => {
    expect(messageOf(input)).toBe(message);
  });
});
