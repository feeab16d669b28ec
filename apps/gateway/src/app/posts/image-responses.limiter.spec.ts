import { isApiError } from '../errors/api-error';
import { ImageResponsesLimiter, MAX_ORIGINAL_RESPONSES, MAX_ORIGINAL_RESPONSES_PER_CLIENT } from './image-responses.limiter';

function refusal(fn: () => unknown): { status: number; code: string; retryAfter?: string } {
  try {
    fn();
  } catch (error) {
    if (isApiError(error)) return { status: error.status, code: error.code, retryAfter: error.headers['Retry-After'] };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('ImageResponsesLimiter', () => {
  it(`sends one address at most ${MAX_ORIGINAL_RESPONSES_PER_CLIENT} originals at once (429), and frees its slots on release`, () => {
    const limiter = new ImageResponsesLimiter();
    const releases = Array.from({ length: MAX_ORIGINAL_RESPONSES_PER_CLIENT }, () => limiter.acquire('10.0.0.1'));
    expect(refusal(() => limiter.acquire('10.0.0.1'))).toEqual({ status: 429, code: 'RATE_LIMITED', retryAfter: '1' });
    expect(() => limiter.acquire('10.0.0.2')()).not.toThrow(); // another address is served
    releases[0]();
    releases[0](); // a second release changes nothing
    expect(limiter.inFlight).toBe(MAX_ORIGINAL_RESPONSES_PER_CLIENT - 1);
    limiter.acquire('10.0.0.1');
    expect(refusal(() => limiter.acquire('10.0.0.1')).status).toBe(429);
  });

  it(`holds at most ${MAX_ORIGINAL_RESPONSES} originals per gateway (503 IMAGES_BUSY + Retry-After)`, () => {
    const limiter = new ImageResponsesLimiter();
    const releases = Array.from({ length: MAX_ORIGINAL_RESPONSES }, (_, i) => limiter.acquire(`10.0.1.${i}`));
    expect(refusal(() => limiter.acquire('10.0.2.1'))).toEqual({ status: 503, code: 'IMAGES_BUSY', retryAfter: '1' });
    for (const release of releases) release();
    expect(limiter.inFlight).toBe(0);
    expect(() => limiter.acquire('10.0.2.1')).not.toThrow();
  });
});
