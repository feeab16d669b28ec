import { Metadata } from '@grpc/grpc-js';
import { isInvalidOptionsError } from '../core/sidecar.error';
import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { GrpcStatus } from './grpc-status';
import { InstanceBreakers } from './instance-breakers';

const grpc = (code: number) => Object.assign(new Error(`status ${code}`), { code, details: '', metadata: new Metadata() });
const instance = (id: string): ServiceInstance => ({ id, service: 'likes', address: `${id}:1`, zone: '', weight: 1, metadata: {} });
const callOn = (id: string): { call: CallInfo } => ({ call: { service: 'likes', method: 'Like', idempotent: true, tried: [id], instance: instance(id) } });
const failing = async (): Promise<never> => {
  throw grpc(GrpcStatus.UNAVAILABLE);
};

describe('InstanceBreakers', () => {
  let breakers: InstanceBreakers;
  const ejected: string[] = [];
  const restored: string[] = [];

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    ejected.length = 0;
    restored.length = 0;
    breakers = new InstanceBreakers({ name: 'likes', volumeThreshold: 3, resetTimeoutMs: 1000, maxEjectionPercent: 50 });
    breakers.onEject(({ instanceId }) => ejected.push(instanceId));
    breakers.onRestore(({ instanceId }) => restored.push(instanceId));
  });
  afterEach(() => {
    breakers.shutdown();
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });

  async function failOn(id: string, times = 3): Promise<void> {
    for (let i = 0; i < times; i++) await breakers.execute(failing, callOn(id)).catch(() => undefined);
  }

  it('ejects a failing instance and restores it after a successful probe', async () => {
    breakers.retain(['a', 'b', 'c', 'd']);
    await failOn('a');
    expect(breakers.isEjected('a')).toBe(true);
    expect(breakers.isEjected('b')).toBe(false);
    expect(ejected).toEqual(['a']);
    expect(breakers.states()).toEqual({ a: 'open' });
    await expect(breakers.execute(async () => 'x', callOn('a'))).rejects.toMatchObject({ code: 'BROKEN_CIRCUIT', instanceId: 'a' });

    jest.advanceTimersByTime(1000);
    expect(breakers.stateOf('a')).toBe('halfOpen');
    expect(breakers.isEjected('a')).toBe(false); // ready for its probe
    await expect(breakers.execute(async () => 'back', callOn('a'))).resolves.toBe('back');
    expect(breakers.stateOf('a')).toBe('closed');
    expect(restored).toEqual(['a']);
  });

  it('keeps one breaker per instance, created lazily', async () => {
    expect(breakers.states()).toEqual({});
    await breakers.execute(async () => 1, callOn('a'));
    expect(breakers.policyFor('a')).toBe(breakers.policyFor('a'));
    expect(breakers.policyFor('a')).not.toBe(breakers.policyFor('b'));
    expect(breakers.policyFor('a').name).toBe('likes/a');
    expect(breakers.stateOf('zzz')).toBe('closed');
  });

  it('never ejects more than maxEjectionPercent of the known instances', async () => {
    breakers.retain(['a', 'b', 'c', 'd']);
    await failOn('a');
    await failOn('b');
    await failOn('c', 10);
    expect(ejected).toEqual(['a', 'b']);
    expect(breakers.isEjected('c')).toBe(false);
    expect(breakers.ejectedCount).toBe(2);
    expect(breakers.maxEjected).toBe(2);
    // the capped instance still takes traffic (its failures stay visible to the service level)
    await expect(breakers.execute(async () => 'served', callOn('c'))).resolves.toBe('served');
  });

  it('never ejects a lone instance (the service breaker handles it)', async () => {
    breakers.retain(['solo']);
    await failOn('solo', 10);
    expect(breakers.isEjected('solo')).toBe(false);
    expect(ejected).toEqual([]);
  });

  it('drops the breakers of instances that left', async () => {
    breakers.retain(['a', 'b', 'c', 'd']);
    await failOn('a');
    breakers.retain(['b', 'c']);
    expect(breakers.states()).toEqual({});
    expect(breakers.isEjected('a')).toBe(false);
    expect(breakers.maxEjected).toBe(1);
  });

  it('runs calls with no instance chosen unprotected', async () => {
    await expect(breakers.execute(async (ctx) => ctx.call.method)).resolves.toBe('');
    await expect(
      breakers.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breakers.states()).toEqual({});
  });

  it('shares one rotation timer between all instance breakers', async () => {
    const before = jest.getTimerCount();
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) breakers.policyFor(id);
    expect(jest.getTimerCount() - before).toBe(1);
  });

  it.each([
    [{ maxEjectionPercent: 101 }, 'instanceBreakers.maxEjectionPercent must be a number from 0 to 100; got 101'],
    [{ name: '' }, 'instanceBreakers.name must be a non-empty string; got ""'],
    [{ volumeThreshold: -2 }, 'instanceBreakers.volumeThreshold must be an integer from 0 to 1000000; got -2'],
    [{ resetTimeoutMs: 'soon' }, 'instanceBreakers.resetTimeoutMs must be an integer from 1 to 2147483647; got "soon"'],
    [{ instanceId: 'x' }, 'instanceBreakers.instanceId is set per instance by InstanceBreakers; got "x"'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new InstanceBreakers(options as never)).toThrow(message);
    try {
      new InstanceBreakers(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
