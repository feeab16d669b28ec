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
  'INVALID_ID', 'BATCH_TOO_LARGE', 'INVALID_ARGUMENT', 'QUOTA_EXCEEDED', 'NOT_AUTHOR',
  // who you are, and how often
  'UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'FORBIDDEN', 'RATE_LIMITED', 'TOO_MANY_STREAMS', 'UNKNOWN_HOST', 'FORBIDDEN_ORIGIN',
  // what the console refuses even to the operator
  'LAST_GATEWAY', 'LAST_FRONT_DOOR', 'TOO_MANY_FAULTS',
  // a part of the platform is down (503 + Retry-After), or failing (5xx)
  'LIKES_UNAVAILABLE', 'UPLOAD_UNAVAILABLE', 'UPLOADS_BUSY', 'IMAGES_BUSY', 'FEED_UNAVAILABLE', 'CONTROL_UNAVAILABLE', 'CONTROL_FAILED', 'SHUTTING_DOWN', 'UPSTREAM_ERROR', 'INTERNAL',
] as const);
