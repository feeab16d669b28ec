import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { DEMO_USERS } from '../auth/demo-users';
import { POST_ID_PATTERN } from '../common/json-input';
import { CONSOLE_OPENAPI_PATHS } from '../console/console.openapi';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
const postIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Post id, as the API makes them: `p_` and 16 characters a-z or 2-7 (anything else is a 400 `INVALID_POST_ID`, on every route).',
  schema: { type: 'string', pattern: POST_ID_PATTERN.source },
};
const optionalAuth = [{}, { bearerAuth: [] }];
const requiredAuth = [{ bearerAuth: [] }];
const rateLimitHeaders = {
  'RateLimit-Limit': { description: 'Writes allowed per window for this user.', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Writes left in the current window.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer' } },
};
const text = (description: string, contentType = 'text/plain') => ({ description, content: { [contentType]: { schema: { type: 'string' } } } });
/** Errors any route can answer besides its own: the platform failing in a way that is not the client's fault. */
const serverErrors = { '500': response('Internal'), '502': response('UpstreamError') };

/**
 * Every `error.code` the gateway answers (its own, the framework's, and those it relays from the
 * services), so that a client, and the platform e2e suite, can tell an undocumented one.
 */
export const ERROR_CODES = Object.freeze([
  // bad input (400, 404, 405, 413, 414, 415, 422)
  'BAD_REQUEST', 'BAD_URL_ENCODING', 'INVALID_BODY', 'INVALID_FIELD', 'INVALID_QUERY', 'INVALID_POST_ID', 'INVALID_CURSOR', 'INVALID_IDEMPOTENCY_KEY', 'INVALID_ACTION', 'INVALID_FAULT',
  'MALFORMED_JSON', 'MALFORMED_MULTIPART', 'MISSING_IMAGE', 'PAYLOAD_TOO_LARGE', 'URI_TOO_LONG', 'UNSUPPORTED_MEDIA_TYPE', 'NOT_FOUND', 'NO_ROUTE', 'METHOD_NOT_ALLOWED',
  'NOT_ACCEPTABLE', 'LENGTH_REQUIRED', 'REQUEST_TIMEOUT', 'UNPROCESSABLE', 'CONFLICT', 'UNKNOWN_INSTANCE',
  // relayed from the upload and likes services (the image is judged by its bytes there)
  'UNSUPPORTED_TYPE', 'TOO_LARGE', 'TOO_MANY_PIXELS', 'TRUNCATED', 'CORRUPT', 'EMPTY', 'IDEMPOTENCY_KEY_REUSED', 'BAD_CAPTION', 'BAD_IDEMPOTENCY_KEY', 'BAD_POST_ID', 'BAD_VARIANT', 'BAD_AUTHOR',
  'INVALID_ID', 'BATCH_TOO_LARGE', 'INVALID_ARGUMENT',
  // who you are, and how often
  'UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'FORBIDDEN', 'RATE_LIMITED', 'TOO_MANY_STREAMS',
  // a part of the platform is down (503 + Retry-After), or failing (5xx)
  'LIKES_UNAVAILABLE', 'UPLOAD_UNAVAILABLE', 'UPLOADS_BUSY', 'FEED_UNAVAILABLE', 'CONTROL_UNAVAILABLE', 'CONTROL_FAILED', 'SHUTTING_DOWN', 'UPSTREAM_ERROR', 'INTERNAL',
] as const);

/**
 * The hand-written OpenAPI 3.1 description of every endpoint the gateway serves (a spec checks it
 * against the routes Nest actually registers). Served at `GET /api/openapi.json`.
 */
export const OPENAPI_DOCUMENT = Object.freeze({
  openapi: '3.1.0',
  info: {
    title: 'Failsoft gateway API',
    version: '1.0.0',
    description: [
      'The public REST JSON API of Failsoft, a photo-sharing demo that keeps serving when parts of it die.',
      '',
      '- Errors are always JSON: `{"error":{"code","message"}}`; `code` is stable, `message` is for people.',
      '- Responses served without a part list it in `degraded` (e.g. `["likes"]`, `["feed"]`); it clears by itself on recovery.',
      '- 503 responses carry `Retry-After` (seconds) and name the unavailable part (`LIKES_UNAVAILABLE`, `UPLOAD_UNAVAILABLE`, `FEED_UNAVAILABLE`).',
      `- Writes need \`Authorization: Bearer <token>\` from \`POST /api/auth/sign-in\`. Demo users: ${DEMO_USERS.join(', ')}; demo password \`failsoft\` (DEMO_PASSWORD).`,
      '- Writes are rate limited per user across all gateways (429 + `Retry-After`); a request refused as invalid (4xx) is not counted.',
      '- A path that is no endpoint answers 404 `NO_ROUTE`; a method an endpoint does not have answers 405 `METHOD_NOT_ALLOWED` with `Allow`.',
      '- Post ids are `p_` and 16 characters a-z or 2-7; cursors are opaque printable ASCII (`!` to `~`, no spaces), at most 512 characters.',
    ].join('\n'),
  },
  servers: [{ url: '/' }],
  tags: [
    { name: 'auth', description: 'Sign-in of demo users.' },
    { name: 'feed', description: 'Timeline and trending posts.' },
    { name: 'posts', description: 'Posts, images and likes.' },
    { name: 'operations', description: 'Health, probes, metrics and this document.' },
    { name: 'console', description: 'The mesh console at /console: live topology, traffic and (local platform only) chaos actions.' },
  ],
  paths: {
    '/api/auth/sign-in': {
      post: {
        tags: ['auth'],
        operationId: 'signIn',
        summary: 'Sign in a demo user and get a signed session token',
        requestBody: { required: true, content: { 'application/json': { schema: ref('SignInRequest'), example: { user: 'alice', password: 'failsoft' } } } },
        responses: {
          '200': json(ref('SignInResponse'), 'Signed in.'),
          '400': response('BadRequest'),
          '401': json(ref('Error'), '`INVALID_CREDENTIALS`: unknown user or wrong password.'),
          '413': json(ref('Error'), '`PAYLOAD_TOO_LARGE`: JSON bodies are limited to 100 KB.'),
          '415': response('UnsupportedMediaType'),
          ...serverErrors,
        },
      },
    },
    '/api/feed': {
      get: {
        tags: ['feed'],
        operationId: 'getFeed',
        summary: 'One page of the timeline, newest first',
        description:
          'While the feed service is unavailable, the gateway serves its last-good copy of the page with `degraded` including `"feed"` (and `lastGoodAt`); 503 only when it has none. While likes is unavailable, counts are stale (`likeCountStale`) or `null` and `degraded` includes `"likes"`. A valid token personalises `likedByViewer`.',
        security: optionalAuth,
        parameters: [
          {
            name: 'cursor',
            in: 'query',
            required: false,
            description: '`nextCursor` of the previous page, unchanged; empty or absent for the newest page. Printable ASCII without spaces (`!` to `~`), at most 512 characters; anything else, or a cursor the API did not make, is a 400 `INVALID_CURSOR`.',
            schema: { type: 'string', pattern: '^[!-~]{0,512}$' },
          },
          { name: 'limit', in: 'query', required: false, description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: CONTRACT_LIMITS.feedPageMax, default: CONTRACT_LIMITS.feedPageDefault } },
        ],
        responses: {
          '200': json(ref('FeedPage'), 'A page (possibly degraded).'),
          '400': json(ref('Error'), '`INVALID_CURSOR` (a cursor the API did not make), `INVALID_QUERY` (`limit` out of range or given twice).'),
          '401': response('Unauthorized'),
          '503': response('Unavailable'),
          ...serverErrors,
        },
      },
    },
    '/api/trending': {
      get: {
        tags: ['feed'],
        operationId: 'getTrending',
        summary: "The hottest posts, computed by the feed's singleton job",
        parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: CONTRACT_LIMITS.trendingMax, default: CONTRACT_LIMITS.trendingDefault } }],
        responses: { '200': json(ref('TrendingPage'), 'Trending posts (possibly a last-good copy, `degraded: ["feed"]`).'), '400': response('BadRequest'), '503': response('Unavailable'), ...serverErrors },
      },
    },
    '/api/posts': {
      post: {
        tags: ['posts'],
        operationId: 'createPost',
        summary: 'Create a post from an image',
        description:
          'The image type is detected from its bytes (JPEG, PNG, WebP, GIF), never from the file name. Send `Idempotency-Key` to make retries safe: the same key and user create one post.',
        security: requiredAuth,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: `1-${CONTRACT_LIMITS.idempotencyKeyMaxLength} characters from letters, digits and \`- _ . : ~ + / =\`.`,
            schema: { type: 'string', pattern: `^[A-Za-z0-9_.:~+/=-]{1,${CONTRACT_LIMITS.idempotencyKeyMaxLength}}$` },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['image'],
                properties: { image: { type: 'string', format: 'binary', description: 'The image file (up to UPLOAD_MAX_BYTES, 10 MiB by default).' }, caption: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'Created (or replayed: `replayed: true`, header `Idempotent-Replayed: true`).',
            headers: { Location: { schema: { type: 'string' } }, 'Idempotency-Key': { schema: { type: 'string' } }, ...rateLimitHeaders },
            content: { 'application/json': { schema: ref('CreatePostResponse') } },
          },
          '400': json(
            ref('Error'),
            '`MISSING_IMAGE` (no `image` file part); `MALFORMED_MULTIPART` (no boundary, cut short, a malformed part, a file part other than `image`, more than one file, too many parts or fields; the message names the offending field as sent); `INVALID_FIELD` (`caption` given twice); `INVALID_IDEMPOTENCY_KEY`; from the upload service: `EMPTY` (an empty file), `BAD_CAPTION`.',
          ),
          '401': response('Unauthorized'),
          '413': json(ref('Error'), '`TOO_LARGE`: the image is over the size cap.'),
          '415': json(ref('Error'), '`UNSUPPORTED_TYPE`: the bytes are not an accepted image type; `UNSUPPORTED_MEDIA_TYPE`: not multipart.'),
          '422': json(ref('Error'), '`TOO_MANY_PIXELS`, `TRUNCATED` or `CORRUPT` image; `IDEMPOTENCY_KEY_REUSED` (the key already created a different post).'),
          '429': response('TooManyRequests'),
          '503': {
            description: '`UPLOAD_UNAVAILABLE`: the upload service is down; `UPLOADS_BUSY`: this gateway is receiving as many uploads as its memory allows. Retry after `Retry-After` seconds.',
            headers: { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } },
            content: { 'application/json': { schema: ref('Error') } },
          },
          ...serverErrors,
        },
      },
    },
    '/api/posts/{id}': {
      get: {
        tags: ['posts'],
        operationId: 'getPost',
        summary: 'A post with its like count',
        security: optionalAuth,
        parameters: [postIdParameter],
        responses: {
          '200': json(ref('GetPostResponse'), 'The post (`degraded: ["likes"]` and `likeCount: null` while likes is unavailable).'),
          '400': response('BadRequest'),
          '401': response('Unauthorized'),
          '404': response('NotFound'),
          '503': response('Unavailable'),
          ...serverErrors,
        },
      },
    },
    '/api/posts/{id}/image': {
      get: {
        tags: ['posts'],
        operationId: 'getPostImage',
        summary: "A post's image bytes (original or thumbnail)",
        parameters: [postIdParameter, { name: 'variant', in: 'query', required: false, schema: { type: 'string', enum: ['original', 'thumbnail'], default: 'original' } }],
        responses: {
          '200': {
            description: 'The image, with `Cache-Control: public, max-age=31536000, immutable` and `X-Content-Type-Options: nosniff`.',
            content: Object.fromEntries(['image/jpeg', 'image/png', 'image/webp', 'image/gif'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
          },
          '400': response('BadRequest'),
          '404': response('NotFound'),
          '503': response('Unavailable'),
          ...serverErrors,
        },
      },
    },
    '/api/posts/{id}/likes': {
      post: {
        tags: ['posts'],
        operationId: 'likePost',
        summary: 'Like a post (idempotent)',
        security: requiredAuth,
        parameters: [postIdParameter],
        responses: {
          '200': { description: 'The like state after the call.', headers: rateLimitHeaders, content: { 'application/json': { schema: ref('LikeState') } } },
          '400': response('BadRequest'),
          '401': response('Unauthorized'),
          '404': json(ref('Error'), '`NOT_FOUND`: no post with this (well-formed) id.'),
          '429': response('TooManyRequests'),
          '503': response('Unavailable'),
          ...serverErrors,
        },
      },
      delete: {
        tags: ['posts'],
        operationId: 'unlikePost',
        summary: 'Unlike a post (idempotent)',
        security: requiredAuth,
        parameters: [postIdParameter],
        responses: {
          '200': { description: 'The like state after the call.', headers: rateLimitHeaders, content: { 'application/json': { schema: ref('LikeState') } } },
          '400': response('BadRequest'),
          '401': response('Unauthorized'),
          '404': json(ref('Error'), '`NOT_FOUND`: no post with this (well-formed) id.'),
          '429': response('TooManyRequests'),
          '503': response('Unavailable'),
          ...serverErrors,
        },
      },
    },
    '/api/health': {
      get: {
        tags: ['operations'],
        operationId: 'getHealth',
        summary: "The gateway's view of the platform",
        responses: { '200': json(ref('Health'), 'Always 200 while the gateway runs; `degraded` names unavailable parts.') },
      },
    },
    '/api/openapi.json': {
      get: { tags: ['operations'], operationId: 'getOpenApi', summary: 'This document', responses: { '200': json({ type: 'object' }, 'The OpenAPI 3.1 document.') } },
    },
    '/livez': {
      get: { tags: ['operations'], operationId: 'livez', summary: 'Liveness probe', responses: { '200': json({ type: 'object' }, 'The process is up.') } },
    },
    '/readyz': {
      get: {
        tags: ['operations'],
        operationId: 'readyz',
        summary: 'Readiness probe (503 while draining)',
        responses: { '200': json({ type: 'object' }, 'Ready.'), '503': json({ type: 'object' }, 'Not ready; failing checks named.') },
      },
    },
    '/metrics': {
      get: { tags: ['operations'], operationId: 'metrics', summary: 'Prometheus metrics of the sidecar', responses: { '200': text('Prometheus text format.') } },
    },
    ...CONSOLE_OPENAPI_PATHS,
    '/snapshot': {
      get: { tags: ['operations'], operationId: 'snapshot', summary: "The sidecar's live state (instances, breakers, rates)", responses: { '200': json({ type: 'object' }, 'The snapshot.') } },
    },
  },
  components: {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (HS256)' } },
    responses: {
      BadRequest: json(ref('Error'), 'Bad input (`MALFORMED_JSON`, `INVALID_BODY`, `INVALID_FIELD`, `INVALID_POST_ID`, `INVALID_QUERY`, `BAD_URL_ENCODING`); nothing was changed.'),
      Unauthorized: {
        description: '`UNAUTHENTICATED`: no, malformed, invalid or expired token.',
        headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
        content: { 'application/json': { schema: ref('Error') } },
      },
      NotFound: json(ref('Error'), '`NOT_FOUND`: no such post.'),
      UnsupportedMediaType: json(ref('Error'), 'Unsupported Content-Type or charset.'),
      TooManyRequests: {
        description: '`RATE_LIMITED`: too many writes by this user; retry after `Retry-After` seconds.',
        headers: { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } },
        content: { 'application/json': { schema: ref('Error') } },
      },
      Unavailable: {
        description: '`<PART>_UNAVAILABLE`: a part of the platform is down; retry after `Retry-After` seconds.',
        headers: { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } },
        content: { 'application/json': { schema: ref('Error') } },
      },
      Internal: json(ref('Error'), '`INTERNAL`: a bug; the details are in the server log.'),
      UpstreamError: json(ref('Error'), '`UPSTREAM_ERROR`: a service failed unexpectedly (not unavailable: retrying will not help).'),
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', enum: [...ERROR_CODES], description: 'Stable machine code; the list is every code the gateway answers.' },
              message: { type: 'string' },
              part: { type: 'string', description: 'The unavailable part (503).' },
              retryAfterSeconds: { type: 'integer', description: 'Same as `Retry-After` (429, 503).' },
              field: { type: 'string', description: 'The offending field (400).' },
            },
          },
        },
      },
      SignInRequest: {
        type: 'object',
        required: ['user', 'password'],
        properties: { user: { type: 'string', enum: [...DEMO_USERS] }, password: { type: 'string', minLength: 1, maxLength: 256 } },
      },
      SignInResponse: {
        type: 'object',
        required: ['token', 'tokenType', 'user', 'expiresAt', 'expiresIn'],
        properties: {
          token: { type: 'string' },
          tokenType: { const: 'Bearer' },
          user: { type: 'string' },
          expiresAt: { type: 'string', format: 'date-time' },
          expiresIn: { type: 'integer', description: 'Seconds.' },
        },
      },
      Post: {
        type: 'object',
        required: ['id', 'author', 'caption', 'createdAt', 'createdAtMs', 'width', 'height', 'contentType', 'imageUrl', 'thumbnailUrl', 'likeCount', 'likeCountStale', 'likedByViewer'],
        properties: {
          id: { type: 'string' },
          author: { type: 'string' },
          caption: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
          createdAtMs: { type: 'integer' },
          width: { type: 'integer' },
          height: { type: 'integer' },
          contentType: { type: 'string' },
          thumbnailWidth: { type: 'integer' },
          thumbnailHeight: { type: 'integer' },
          imageUrl: { type: 'string' },
          thumbnailUrl: { type: 'string' },
          likeCount: { type: ['integer', 'null'], description: '`null` when unknown (likes unavailable and never seen).' },
          likeCountStale: { type: 'boolean', description: 'True when `likeCount` is a last-seen value.' },
          likedByViewer: { type: ['boolean', 'null'], description: '`null` when anonymous or unknown.' },
        },
      },
      FeedPage: {
        type: 'object',
        required: ['items', 'nextCursor', 'degraded'],
        properties: {
          items: { type: 'array', items: ref('Post') },
          nextCursor: { type: ['string', 'null'], description: '`null` on the last page.' },
          degraded: { type: 'array', items: { type: 'string' }, examples: [['likes'], ['feed']] },
          lastGoodAt: { type: 'string', format: 'date-time', description: "Set when the page is the gateway's last-good copy." },
        },
      },
      TrendingPage: {
        type: 'object',
        required: ['items', 'leaderInstanceId', 'fencingToken', 'computedAt', 'degraded'],
        properties: {
          items: { type: 'array', items: { allOf: [ref('Post'), { type: 'object', properties: { score: { type: 'number' } } }] } },
          leaderInstanceId: { type: 'string' },
          fencingToken: { type: 'string', description: 'int64 as a decimal string.' },
          computedAt: { type: ['string', 'null'], format: 'date-time' },
          degraded: { type: 'array', items: { type: 'string' } },
          lastGoodAt: { type: 'string', format: 'date-time' },
        },
      },
      CreatePostResponse: { type: 'object', required: ['post', 'replayed'], properties: { post: ref('Post'), replayed: { type: 'boolean' } } },
      GetPostResponse: { type: 'object', required: ['post', 'degraded'], properties: { post: ref('Post'), degraded: { type: 'array', items: { type: 'string' } } } },
      LikeState: {
        type: 'object',
        required: ['postId', 'likeCount', 'liked'],
        properties: { postId: { type: 'string' }, likeCount: { type: 'integer' }, liked: { type: 'boolean' } },
      },
      Health: {
        type: 'object',
        required: ['status', 'degraded', 'instance'],
        properties: {
          status: { type: 'string', enum: ['ok', 'degraded'] },
          degraded: { type: 'array', items: { type: 'string' } },
          instance: { type: 'string' },
          service: { type: 'string' },
          zone: { type: 'string' },
          parts: { type: 'object', additionalProperties: { type: 'object' } },
          redis: { type: 'string', enum: ['up', 'down'] },
        },
      },
    },
  },
});
