import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { DEMO_USERS } from '../auth/demo-users';
import { CONSOLE_OPENAPI_PATHS } from '../console/console.openapi';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
const postIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Post id: 1-128 letters, digits, "-" or "_" (anything else is a 400 `INVALID_POST_ID`).',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
};
const optionalAuth = [{}, { bearerAuth: [] }];
const requiredAuth = [{ bearerAuth: [] }];
const rateLimitHeaders = {
  'RateLimit-Limit': { description: 'Writes allowed per window for this user.', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Writes left in the current window.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer' } },
};
const text = (description: string, contentType = 'text/plain') => ({ description, content: { [contentType]: { schema: { type: 'string' } } } });

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
      '- Writes are rate limited per user across all gateways (429 + `Retry-After`).',
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
          '415': response('UnsupportedMediaType'),
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
          { name: 'cursor', in: 'query', required: false, description: '`nextCursor` of the previous page; empty or absent for the newest page.', schema: { type: 'string', maxLength: 512 } },
          { name: 'limit', in: 'query', required: false, description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: CONTRACT_LIMITS.feedPageMax, default: CONTRACT_LIMITS.feedPageDefault } },
        ],
        responses: { '200': json(ref('FeedPage'), 'A page (possibly degraded).'), '400': response('BadRequest'), '401': response('Unauthorized'), '503': response('Unavailable') },
      },
    },
    '/api/trending': {
      get: {
        tags: ['feed'],
        operationId: 'getTrending',
        summary: "The hottest posts, computed by the feed's singleton job",
        parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: CONTRACT_LIMITS.trendingMax, default: CONTRACT_LIMITS.trendingDefault } }],
        responses: { '200': json(ref('TrendingPage'), 'Trending posts (possibly a last-good copy, `degraded: ["feed"]`).'), '400': response('BadRequest'), '503': response('Unavailable') },
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
          '400': json(ref('Error'), '`MISSING_IMAGE`, `MALFORMED_MULTIPART`, `INVALID_IDEMPOTENCY_KEY`, `EMPTY`, `BAD_CAPTION` ...'),
          '401': response('Unauthorized'),
          '413': json(ref('Error'), '`TOO_LARGE`: the image is over the size cap.'),
          '415': json(ref('Error'), '`UNSUPPORTED_TYPE`: the bytes are not an accepted image type; `UNSUPPORTED_MEDIA_TYPE`: not multipart.'),
          '422': json(ref('Error'), '`TOO_MANY_PIXELS`, `TRUNCATED` or `CORRUPT` image; `IDEMPOTENCY_KEY_REUSED` (the key already created a different post).'),
          '429': response('TooManyRequests'),
          '503': {
            description: '`UPLOAD_UNAVAILABLE`: the upload service is down; `UPLOADS_BUSY`: this gateway is receiving as many uploads as its memory allows. Retry after `Retry-After` seconds.',
            headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } },
            content: { 'application/json': { schema: ref('Error') } },
          },
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
          '404': response('NotFound'),
          '429': response('TooManyRequests'),
          '503': response('Unavailable'),
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
          '404': response('NotFound'),
          '429': response('TooManyRequests'),
          '503': response('Unavailable'),
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
      BadRequest: json(ref('Error'), 'Bad input (malformed JSON, wrong types, bad ids or query parameters); nothing was changed.'),
      Unauthorized: {
        description: '`UNAUTHENTICATED`: no, malformed, invalid or expired token.',
        headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
        content: { 'application/json': { schema: ref('Error') } },
      },
      NotFound: json(ref('Error'), '`NOT_FOUND`: no such post.'),
      UnsupportedMediaType: json(ref('Error'), 'Unsupported Content-Type or charset.'),
      TooManyRequests: {
        description: '`RATE_LIMITED`: too many writes by this user; retry after `Retry-After` seconds.',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        content: { 'application/json': { schema: ref('Error') } },
      },
      Unavailable: {
        description: '`<PART>_UNAVAILABLE`: a part of the platform is down; retry after `Retry-After` seconds.',
        headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } },
        content: { 'application/json': { schema: ref('Error') } },
      },
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
              code: { type: 'string', examples: ['LIKES_UNAVAILABLE', 'UNSUPPORTED_TYPE', 'MALFORMED_JSON'] },
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
