import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServiceInstance } from '../core/instance';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';

/** Field of a registry entry (and of a join/leave event) that carries its signature. */
export const SIGNATURE_FIELD = 'sig';

/** Version prefix of every signature: a new scheme gets a new prefix, old entries stop verifying. */
const VERSION = 'v1';

/** Shortest accepted discovery key (characters). */
export const MIN_DISCOVERY_KEY_LENGTH = 16;

/**
 * Signs and checks registry entries with HMAC-SHA256 under a key the services share, so that
 * whoever can write to Redis but does not hold the key cannot add an instance (a fake `likes-9`
 * would receive calls carrying the internal token) or remove one with a fake leave event.
 *
 * What is signed: the service, id, address, zone, weight and metadata of an instance (a join
 * and the stored entry), or the service, id and address of a leave. Copying a signed entry of a
 * real instance only ever points at that real instance.
 */
export class RegistrySigner {
  private readonly key: Buffer;

  /** @throws InvalidOptionsError when `key` is not a string of 16+ characters. */
  constructor(key: string, name = 'discovery.key') {
    if (typeof key !== 'string' || key.length < MIN_DISCOVERY_KEY_LENGTH) {
      throw new InvalidOptionsError(`${name} must be a string of at least ${MIN_DISCOVERY_KEY_LENGTH} characters; got ${typeof key === 'string' ? `${key.length} characters` : show(key)}`);
    }
    this.key = Buffer.from(key, 'utf8');
  }

  /**
   * The discovery key derived from the shared internal token (HMAC of a fixed label under the
   * token): services that share the token share the key, and the token itself is never stored.
   */
  static fromToken(token: string): RegistrySigner {
    return new RegistrySigner(createHmac('sha256', token).update('failsoft discovery key v1').digest('base64url'));
  }

  /** The instance as a plain object with its signature (what the registry stores and announces). */
  signInstance(instance: ServiceInstance): ServiceInstance & { readonly [SIGNATURE_FIELD]: string } {
    return { ...instance, metadata: { ...instance.metadata }, [SIGNATURE_FIELD]: this.mac(instancePayload(instance)) };
  }

  /** The signature of a leave event of instance `id` of `service` at `address`. */
  signLeave(service: string, id: string, address: string): string {
    return this.mac(JSON.stringify(['leave', service, id, address]));
  }

  /** True when `signature` is the signature of `instance` (already validated and normalised). */
  verifyInstance(instance: ServiceInstance, signature: unknown): boolean {
    return this.verify(instancePayload(instance), signature);
  }

  /** True when `signature` is the signature of that leave. */
  verifyLeave(service: string, id: string, address: string, signature: unknown): boolean {
    return this.verify(JSON.stringify(['leave', service, id, address]), signature);
  }

  private mac(payload: string): string {
    return `${VERSION}.${createHmac('sha256', this.key).update(payload).digest('base64url')}`;
  }

  private verify(payload: string, signature: unknown): boolean {
    if (typeof signature !== 'string') return false;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The signed form of an instance: its fields in a fixed order, metadata sorted by key. */
function instancePayload(instance: ServiceInstance): string {
  const metadata = Object.keys(instance.metadata)
    .sort()
    .map((k) => [k, instance.metadata[k]]);
  return JSON.stringify(['join', instance.service, instance.id, instance.address, instance.zone, instance.weight, metadata]);
}
