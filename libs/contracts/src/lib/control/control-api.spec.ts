import { CONTROL_API_PREFIX, CONTROL_ERROR_STATUS, CONTROL_PATHS, CONTROL_SIGNALS } from './control-api';

describe('control API', () => {
  it('builds every path under its prefix with path parameters percent-encoded', () => {
    expect(CONTROL_API_PREFIX).toBe('/v1');
    expect(CONTROL_PATHS.killInstance('likes-1')).toBe('/instances/likes-1/kill');
    expect(CONTROL_PATHS.reviveService('a/b')).toBe('/services/a%2Fb/revive');
    expect(CONTROL_PATHS.fault('x y')).toBe('/faults/x%20y');
    expect(CONTROL_PATHS.killSentinel(2)).toBe('/sentinels/2/kill');
  });

  it('maps every error code to its HTTP status, and knows the three signals', () => {
    expect(CONTROL_ERROR_STATUS).toEqual({ BAD_REQUEST: 400, UNAUTHENTICATED: 401, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, CONFLICT: 409, UNAVAILABLE: 503, INTERNAL: 500 });
    expect(CONTROL_SIGNALS).toEqual(['KILL', 'TERM', 'STOP']);
  });
});
