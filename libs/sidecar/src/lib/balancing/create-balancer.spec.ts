import type { CallInfo } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { isInvalidOptionsError, isSidecarError } from '../core/sidecar.error';
import type { Balancer } from './balancer';
import { createBalancer } from './create-balancer';
import { P2cBalancer } from './p2c.balancer';
import { RoundRobinBalancer } from './round-robin.balancer';
import { WeightedRoundRobinBalancer } from './weighted-round-robin.balancer';
import { ZoneAwareBalancer } from './zone-aware.balancer';

const inst = (id: string, zone: string): ServiceInstance => ({ id, service: 'svc', address: `${id}.test:1`, zone, weight: 1, metadata: {} });
const call = (): CallInfo => ({ service: 'svc', method: 'Get', idempotent: true, tried: [] });

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('createBalancer', () => {
  it('builds each kind, p2c by default', () => {
    expect(createBalancer()).toBeInstanceOf(P2cBalancer);
    expect(createBalancer({ kind: 'p2c' })).toBeInstanceOf(P2cBalancer);
    expect(createBalancer({ kind: 'round-robin' })).toBeInstanceOf(RoundRobinBalancer);
    expect(createBalancer({ kind: 'weighted' })).toBeInstanceOf(WeightedRoundRobinBalancer);
  });

  it('wraps in a zone-aware balancer when a zone is given', () => {
    const b = createBalancer({ kind: 'round-robin', zone: 'b' });
    expect(b).toBeInstanceOf(ZoneAwareBalancer);
    expect((b as ZoneAwareBalancer).inner).toBeInstanceOf(RoundRobinBalancer);
    const view = [inst('a1', 'a'), inst('b1', 'b'), inst('a2', 'a')];
    for (let i = 0; i < 5; i++) expect(b.pick(view, call(), view)?.id).toBe('b1');
    expect(createBalancer({ zone: '' })).toBeInstanceOf(P2cBalancer);
  });

  it('accepts a user-supplied balancer as it is', () => {
    const mine: Balancer = { pick: (c) => c[c.length - 1] };
    expect(createBalancer(mine)).toBe(mine);
  });

  it('rejects bad options with InvalidOptionsError naming option and value', () => {
    const unknown = errorOf(() => createBalancer({ kind: 'random' as never }));
    expect(isInvalidOptionsError(unknown)).toBe(true);
    expect(isSidecarError(unknown, 'INVALID_OPTIONS')).toBe(true);
    expect(unknown.message).toBe('balancer.kind must be one of "p2c", "round-robin", "weighted"; got "random"');
    expect(errorOf(() => createBalancer({ zone: 7 as never })).message).toBe('balancer.zone must be a string; got 7');
    expect(errorOf(() => createBalancer({ zone: 'a', minHealthyFraction: -1 })).message).toBe(
      'zoneAware.minHealthyFraction must be a number from 0 to 1; got -1',
    );
    expect(errorOf(() => createBalancer({ minHealthy: 0.5 })).message).toBe('balancer.minHealthy must be an integer >= 1; got 0.5');
    expect(errorOf(() => createBalancer({ decayMs: -5 })).message).toBe('loadTracker.decayMs must be a number >= 1; got -5');
    expect(errorOf(() => createBalancer('p2c' as never)).message).toBe('balancer options must be an object or a Balancer; got "p2c"');
    expect(errorOf(() => createBalancer({ pick: 1 } as never)).message).toBe('balancer.pick must be a function; got 1');
  });
});
