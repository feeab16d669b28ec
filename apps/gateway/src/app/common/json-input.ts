import { POST_ID_PATTERN } from '@failsoft/contracts';
import { badRequest } from '../errors/api-error';

/**
 * Small, explicit validators for request input. Each throws ApiError 400 naming the field, what
 * was received and what is accepted, so bad input never reaches a service.
 */

/** The JSON body as an object. @throws 400 `INVALID_BODY` when it is missing or not an object. */
export function bodyObject(body: unknown, example: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`the request body must be a JSON object like ${example} (with Content-Type: application/json)`, 'INVALID_BODY');
  }
  return body as Record<string, unknown>;
}

/** A string field of 1..maxLength characters. @throws 400 `INVALID_FIELD`. */
export function stringField(body: Record<string, unknown>, name: string, maxLength: number): string {
  const value = body[name];
  if (typeof value !== 'string') {
    throw badRequest(`"${name}" must be a string; got ${describe(value)}`, 'INVALID_FIELD', { field: name });
  }
  if (value.length === 0 || value.length > maxLength) {
    throw badRequest(`"${name}" must be 1 to ${maxLength} characters long; got ${value.length}`, 'INVALID_FIELD', { field: name });
  }
  return value;
}

/** What a value is, for messages (never echoes long or sensitive content). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A single query parameter (repeated parameters are refused). @throws 400 `INVALID_QUERY`. */
export function queryParam(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`query parameter "${name}" must be given once, as plain text`, 'INVALID_QUERY', { field: name });
  return value;
}

/**
 * Post ids, exactly as the upload service makes them: `p_` and 16 characters a-z or 2-7 (no dots or
 * slashes, so no path tricks reach a service). Anything else is refused at the edge, the same way on
 * every route.
 */
export { POST_ID_PATTERN };

/** A validated post id from the path. @throws 400 `INVALID_POST_ID`. */
export function postIdParam(value: string | undefined): string {
  if (value === undefined || !POST_ID_PATTERN.test(value)) {
    throw badRequest('the post id must be "p_" followed by 16 characters a-z or 2-7 (e.g. "p_abcdefgh234567ab")', 'INVALID_POST_ID');
  }
  return value;
}

/** A page size from the query: an integer from 1 to `max`, `fallback` when absent. @throws 400 `INVALID_QUERY`. */
export function limitParam(query: Record<string, unknown>, fallback: number, max: number): number {
  const raw = queryParam(query, 'limit');
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw badRequest(`query parameter "limit" must be an integer from 1 to ${max}`, 'INVALID_QUERY', { field: 'limit' });
  }
  return value;
}
