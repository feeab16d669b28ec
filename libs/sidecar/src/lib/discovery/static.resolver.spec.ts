import type { ServiceInstance } from '../core/instance';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { StaticResolver } from './static.resolver';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('StaticResolver', () => {
  it('builds instances from host:port strings, sorted, with stable ids', async () => {
    const r = new StaticResolver({ service: 'likes', addresses: ['10.0.0.2:5000', '10.0.0.1:5000', '[::1]:5000'], zone: 'eu-1a' });
    await r.start();
    expect(r.instances().map((i) => i.id)).toEqual(['likes@10.0.0.1:5000', 'likes@10.0.0.2:5000', 'likes@[::1]:5000']);
    expect(r.instances()[0]).toEqual({ id: 'likes@10.0.0.1:5000', service: 'likes', address: '10.0.0.1:5000', zone: 'eu-1a', weight: 1, metadata: {} });
    expect(r.instances()).toBe(r.instances());
    expect(r.stale).toBe(false);
    await r.shutdown();
  });

  it('accepts full instances', () => {
    const instance: ServiceInstance = { id: 'likes-a', service: 'likes', address: 'a:1', zone: 'z', weight: 3, metadata: { v: '2' } };
    const r = new StaticResolver({ service: 'likes', addresses: [instance] });
    expect(r.instances()).toEqual([instance]);
  });

  it('update() replaces the list and emits onChange only on a real change', () => {
    const r = new StaticResolver({ service: 'likes', addresses: ['a:1'] });
    const seen: string[][] = [];
    const sub = r.onChange((view) => seen.push(view.map((i) => i.address)));
    r.update(['a:1']);
    r.update(['b:1', 'a:1']);
    r.update(['a:1', 'b:1']);
    expect(seen).toEqual([['a:1', 'b:1']]);
    sub.dispose();
    r.update(['c:1']);
    expect(seen).toHaveLength(1);
    expect(r.instances().map((i) => i.address)).toEqual(['c:1']);
  });

  it('rejects bad addresses naming the bad one', () => {
    const bad = errorOf(() => new StaticResolver({ service: 'likes', addresses: ['a:1', 'likes-2'] }));
    expect(isInvalidOptionsError(bad)).toBe(true);
    expect(bad.message).toBe('static.addresses[1] must be "host:port" (IPv6 as "[::1]:50051", port 1-65535); got "likes-2"');
    expect(errorOf(() => new StaticResolver({ service: 'likes', addresses: ['a:99999'] })).message).toContain('got "a:99999"');
    expect(errorOf(() => new StaticResolver({ service: 'likes', addresses: [] })).message).toBe(
      'static.addresses must be a non-empty array of "host:port" strings or ServiceInstance objects; got []',
    );
    expect(errorOf(() => new StaticResolver({ service: 'likes', addresses: ['a:1', 'a:1'] })).message).toBe('static.addresses[1] repeats instance "likes@a:1"');
    expect(errorOf(() => new StaticResolver({ service: '', addresses: ['a:1'] })).message).toBe(
      'static.service must be a service name (letters, digits, ".", "_", "-"); got ""',
    );
    const other = { id: 'x', service: 'feed', address: 'a:1', zone: '', weight: 1, metadata: {} };
    expect(errorOf(() => new StaticResolver({ service: 'likes', addresses: [other] })).message).toBe('static.addresses[0].service must be "likes"; got "feed"');
    const r = new StaticResolver({ service: 'likes', addresses: ['a:1'] });
    expect(errorOf(() => r.update(['nope'])).message).toContain('static.addresses[0] must be "host:port"');
    expect(r.instances().map((i) => i.address)).toEqual(['a:1']);
  });
});
