import { Metadata } from '@grpc/grpc-js';
import { isInvalidOptionsError } from '../core/sidecar.error';
import type { CallInfo, PolicyContext } from '../core/policy';
import { BrokenCircuitError } from './broken-circuit.error';
import { FallbackPolicy } from './fallback.policy';
import { GrpcStatus } from './grpc-status';

const grpc = (code: number) => Object.assign(new Error(`status ${code}`), { code, details: '', metadata: new Metadata() });
const call = (): CallInfo => ({ service: 'likes', method: 'Counts', idempotent: true, tried: [] });

describe('FallbackPolicy', () => {
  it('returns the result when fn succeeds, without calling the fallback', async () => {
    const fallback = jest.fn(() => 'stale');
    const policy = new FallbackPolicy({ fallback });
    await expect(policy.execute(async () => 'fresh')).resolves.toBe('fresh');
    expect(fallback).not.toHaveBeenCalled();
  });

  it('serves the fallback on a downstream fault or an open circuit, with the error and context', async () => {
    const seen: Array<{ error: unknown; ctx: PolicyContext }> = [];
    const policy = new FallbackPolicy<string>({
      fallback: async (error, ctx) => {
        seen.push({ error, ctx });
        return 'degraded';
      },
    });
    const events: string[] = [];
    policy.onFallback((e) => events.push(e.call.method));
    const unavailable = grpc(GrpcStatus.UNAVAILABLE);
    await expect(policy.execute(() => Promise.reject(unavailable), { call: call() })).resolves.toBe('degraded');
    await expect(policy.execute(() => Promise.reject(new BrokenCircuitError('open', 'likes', 100)), { call: call() })).resolves.toBe('degraded');
    expect(seen[0].error).toBe(unavailable);
    expect(seen[0].ctx.call.method).toBe('Counts');
    expect(events).toEqual(['Counts', 'Counts']);
  });

  it('lets client errors through by default', async () => {
    const policy = new FallbackPolicy({ fallback: () => 'degraded' });
    const invalid = grpc(GrpcStatus.INVALID_ARGUMENT);
    await expect(policy.execute(() => Promise.reject(invalid))).rejects.toBe(invalid);
  });

  it('uses a custom shouldHandle', async () => {
    const policy = new FallbackPolicy({ fallback: () => 'handled', shouldHandle: (e) => (e as Error).message === 'mine' });
    await expect(policy.execute(() => Promise.reject(new Error('mine')))).resolves.toBe('handled');
    await expect(policy.execute(() => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });

  it('propagates an error thrown by the fallback itself', async () => {
    const policy = new FallbackPolicy({
      fallback: () => {
        throw new Error('no cached copy');
      },
    });
    await expect(policy.execute(() => Promise.reject(grpc(GrpcStatus.UNAVAILABLE)))).rejects.toThrow('no cached copy');
  });

  it.each([
    [{}, 'fallback.fallback must be a function (error, context) => value; got undefined'],
    [{ fallback: 'x' }, 'fallback.fallback must be a function (error, context) => value; got "x"'],
    [{ fallback: () => 1, shouldHandle: 3 }, 'fallback.shouldHandle must be a function (error) => boolean; got 3'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new FallbackPolicy(options as never)).toThrow(message);
    try {
      new FallbackPolicy(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
