import { CONTRACT_LIMITS } from '@failsoft/contracts';
import { badRequest } from '../errors/api-error';
import type { GatewayRequest } from './gateway-request';

/** Idempotency keys: 1-200 characters from a safe set (letters, digits and `-_.:~+/=`). */
export const IDEMPOTENCY_KEY_PATTERN = new RegExp(`^[A-Za-z0-9_.:~+/=-]{1,${CONTRACT_LIMITS.idempotencyKeyMaxLength}}$`);

/**
 * The request's `Idempotency-Key` header (creating a post, liking, unliking), validated;
 * `undefined` when there is none. @throws 400 `INVALID_IDEMPOTENCY_KEY`.
 */
export function idempotencyKeyOf(request: GatewayRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw badRequest(
      `the Idempotency-Key header must be 1 to ${CONTRACT_LIMITS.idempotencyKeyMaxLength} characters from letters, digits and - _ . : ~ + / =`,
      'INVALID_IDEMPOTENCY_KEY',
    );
  }
  return header;
}
