import { KNOWN_USERS } from '../auth/demo-users';
import { ERROR_CODES } from './openapi.error-codes';
import { json, ref } from './openapi.helpers';

/** The shared parts of the OpenAPI document: security schemes, responses and schemas. */
export const OPENAPI_COMPONENTS = {
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
      UnknownHost: json(ref('Error'), '`UNKNOWN_HOST`: the `Host` header names a host this platform does not serve (DNS rebinding); use 127.0.0.1 / localhost or a name in PUBLIC_HOSTS.'),
      ForeignOrigin: json(ref('Error'), '`FORBIDDEN_ORIGIN`: a state-changing request from a page of another site (`Origin`); nothing was changed.'),
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
        properties: { user: { type: 'string', enum: [...KNOWN_USERS] }, password: { type: 'string', minLength: 1, maxLength: 256 } },
      },
      SignOutResponse: { type: 'object', required: ['signedOut', 'everywhere'], properties: { signedOut: { const: true }, everywhere: { type: 'boolean' } } },
      SignInResponse: {
        type: 'object',
        required: ['token', 'tokenType', 'user', 'role', 'expiresAt', 'expiresIn'],
        properties: {
          token: { type: 'string' },
          tokenType: { const: 'Bearer' },
          user: { type: 'string' },
          role: { type: 'string', enum: ['member', 'operator'], description: '`operator` may use the console actions; members read, post and like.' },
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
  };
