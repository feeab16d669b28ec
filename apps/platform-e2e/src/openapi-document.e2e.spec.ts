// eslint-disable-next-line @nx/enforce-module-boundaries
import { POST_ID_PATTERN } from '../../gateway/src/app/common/json-input';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { OPENAPI_DOCUMENT } from '../../gateway/src/app/openapi/openapi.document';
import { responseViolations, type ReceivedResponse } from './support/openapi';

/**
 * The checker every platform-e2e response goes through (support/openapi.ts), shown to fail on the
 * drifts it is there for, and to pass an answer exactly as documented. No platform needed.
 */
const json = (status: number, body: unknown, method = 'GET', path = '/api/posts/p_abcdefgh234567ab', headers: Record<string, string> = {}): ReceivedResponse => ({
  method,
  url: `http://127.0.0.1:1${path}`,
  status,
  headers: new Headers({ 'content-type': 'application/json; charset=utf-8', ...headers }),
  json: body,
});
const post = { id: 'p_abcdefgh234567ab', author: 'alice', caption: 'x', createdAt: '2026-12-06T00:00:00.000Z', createdAtMs: 1, width: 1, height: 1, contentType: 'image/png', imageUrl: '/i', thumbnailUrl: '/t', likeCount: 0, likeCountStale: false, likedByViewer: null };

describe('the OpenAPI conformance check', () => {
  it('passes responses exactly as documented', () => {
    expect(responseViolations(json(200, { post, degraded: [] }))).toEqual([]);
    expect(responseViolations(json(400, { error: { code: 'INVALID_POST_ID', message: 'm' } }, 'GET', '/api/posts/nope'))).toEqual([]);
    expect(responseViolations(json(503, { error: { code: 'LIKES_UNAVAILABLE', message: 'm' } }, 'POST', '/api/posts/p_abcdefgh234567ab/likes', { 'retry-after': '2' }))).toEqual([]);
    expect(responseViolations(json(404, { error: { code: 'NO_ROUTE', message: 'm' } }, 'GET', '/api/nothing-here'))).toEqual([]);
  });

  it('fails an undocumented error code, status, body shape, content type, missing required header, or path', () => {
    expect(responseViolations(json(400, { error: { code: 'BAD_POST_ID_TYPO', message: 'm' } }, 'GET', '/api/posts/nope')).join()).toMatch(/must be equal to one of the allowed values/);
    expect(responseViolations(json(418, { error: { code: 'INTERNAL', message: 'm' } })).join()).toMatch(/status 418 is not documented for GET \/api\/posts\/\{id\}/);
    expect(responseViolations(json(200, { post: { ...post, likeCount: 'many' }, degraded: [] })).join()).toMatch(/likeCount must be integer,null|likeCount must be integer/);
    expect(responseViolations({ ...json(200, {}), headers: new Headers({ 'content-type': 'text/html' }) }).join()).toMatch(/content type text\/html is not documented/);
    expect(responseViolations(json(503, { error: { code: 'LIKES_UNAVAILABLE', message: 'm' } }, 'POST', '/api/posts/p_abcdefgh234567ab/likes')).join()).toMatch(/required header Retry-After is missing/);
    expect(responseViolations(json(200, {}, 'GET', '/api/secret')).join()).toMatch(/not in the OpenAPI document/);
  });

  it('documents the post id pattern the gateway enforces, and the cursor charset it accepts', () => {
    const feed = OPENAPI_DOCUMENT.paths['/api/feed'].get;
    const getPost = OPENAPI_DOCUMENT.paths['/api/posts/{id}'].get;
    expect(getPost.parameters[0].schema.pattern).toBe(POST_ID_PATTERN.source);
    expect(new RegExp(getPost.parameters[0].schema.pattern).test('p_abcdefgh234567ab')).toBe(true);
    expect(new RegExp(getPost.parameters[0].schema.pattern).test('p_ABCDEFGH234567AB')).toBe(false);
    const cursor = feed.parameters.find((p) => p.name === 'cursor');
    expect(cursor?.schema).toEqual({ type: 'string', pattern: '^[!-~]{0,512}$' });
    expect(JSON.stringify(OPENAPI_DOCUMENT.paths['/api/posts'].post.responses['400'])).toContain('MALFORMED_MULTIPART');
  });
});
