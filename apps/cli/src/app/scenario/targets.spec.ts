import type { Figures } from '../load/stats';
import { judge, targetFor, type Measured } from './targets';

const f = (requests: number, errors: number): Pick<Figures, 'requests' | 'availability'> => ({ requests, availability: requests === 0 ? 1 : (requests - errors) / requests });

function measured(overrides: Partial<Measured> = {}, errors: Partial<Record<'feed' | 'like' | 'unlike' | 'create', number>> = {}): Measured {
  return {
    steady: true,
    recoverySeconds: 4.2,
    lostAcknowledgedWrites: 0,
    unverifiedWrites: 0,
    acknowledgedWrites: 120,
    byEndpoint: { feed: f(2000, errors.feed ?? 0), like: f(1000, errors.like ?? 0), unlike: f(1000, errors.unlike ?? 0), create: f(1000, errors.create ?? 0) },
    ...overrides,
  };
}

describe('scenario targets', () => {
  const plain = targetFor(undefined, 120);
  const likesDown = targetFor({ endpoints: ['like', 'unlike'], reason: 'all of likes down' }, 120);

  it('is met with no errors, no lost writes and a recovery', () => {
    expect(judge(measured(), plain)).toEqual({ met: true, misses: [] });
  });

  it('keeps 0.999 per endpoint: 1 error in 1000 passes, 2 miss', () => {
    expect(judge(measured({}, { like: 1 }), plain).met).toBe(true);
    expect(judge(measured({}, { like: 2 }), plain)).toEqual({ met: false, misses: ['like availability 99.80% < 99.9%'] });
  });

  it('an exempt endpoint may fail; the others may not', () => {
    expect(judge(measured({}, { like: 1000, unlike: 1000 }), likesDown).met).toBe(true);
    expect(judge(measured({}, { like: 1000, feed: 10 }), likesDown)).toEqual({ met: false, misses: ['feed availability 99.50% < 99.9%'] });
  });

  it('any lost acknowledged write misses, exempt or not', () => {
    expect(judge(measured({ lostAcknowledgedWrites: 1 }), likesDown)).toEqual({ met: false, misses: ['1 acknowledged writes lost'] });
  });

  it('any unverified write misses: a write no read answered cleanly is not proven kept', () => {
    expect(judge(measured({ unverifiedWrites: 3 }), plain)).toEqual({ met: false, misses: ['3 acknowledged writes unverified (no clean read-back within the verification window)'] });
    expect(judge(measured({ unverifiedWrites: 1 }), likesDown).met).toBe(false);
    // lost and unverified are judged apart: a run cannot trade one for the other
    expect(judge(measured({ unverifiedWrites: 2, lostAcknowledgedWrites: 1 }), plain).misses).toEqual(['1 acknowledged writes lost', '2 acknowledged writes unverified (no clean read-back within the verification window)']);
  });

  it('a run without an acknowledged write misses: the lost-write check proved nothing', () => {
    expect(judge(measured({ acknowledgedWrites: 0 }), plain).misses).toEqual(['no acknowledged write to read back: the lost-write check proved nothing']);
    // not said twice when the scenario never ran its load
    expect(judge(measured({ acknowledgedWrites: 0, steady: false }), plain).misses).toEqual(['the platform was not healthy before the fault']);
  });

  it('misses without a recovery, without a steady state, or on an error', () => {
    expect(judge(measured({ recoverySeconds: null }), plain).misses).toEqual(['no full recovery within 120 s']);
    expect(judge(measured({ steady: false }), plain).misses).toEqual(['the platform was not healthy before the fault']);
    expect(judge(measured({ error: 'kill failed' }), plain).misses).toEqual(['the scenario failed: kill failed']);
  });

  it('an endpoint without requests is not judged', () => {
    const m = measured();
    m.byEndpoint.create = f(0, 0);
    expect(judge(m, plain).met).toBe(true);
  });

  it('reports the exemption and its reason', () => {
    expect(likesDown).toEqual({ availability: 0.999, lostAcknowledgedWrites: 0, unverifiedWrites: 0, exempt: ['like', 'unlike'], reason: 'all of likes down', recoveryWithinSeconds: 120 });
    expect(plain.exempt).toEqual([]);
    expect('reason' in plain).toBe(false);
  });
});
