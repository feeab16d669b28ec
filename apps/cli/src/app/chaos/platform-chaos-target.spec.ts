import { breakersOf, leaseHolder } from './platform-chaos-target';

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
});
