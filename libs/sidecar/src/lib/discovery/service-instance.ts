import type { ServiceInstance } from '../core/instance';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';

/** A `host:port` address split into its parts. */
export interface HostPort {
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  /** TCP port, 1 to 65535. */
  readonly port: number;
}

const HOST = /^[A-Za-z0-9._-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$/;

/**
 * Parses `host:port` (IPv6 as `[::1]:50051`); `undefined` when malformed (missing or bad
 * port, empty host, spaces, schemes or paths).
 */
export function parseAddress(address: unknown): HostPort | undefined {
  if (typeof address !== 'string') return undefined;
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0 || address[end + 1] !== ':') return undefined;
    host = address.slice(1, end);
    portText = address.slice(end + 2);
    if (!host.includes(':') || !IPV6.test(host)) return undefined;
  } else {
    const colon = address.lastIndexOf(':');
    if (colon <= 0 || address.indexOf(':') !== colon) return undefined;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (!HOST.test(host)) return undefined;
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * Formats `host` and `port` as a dialable `host:port`, IPv6 hosts in brackets (`[::1]:50051`;
 * a host given already in brackets is not bracketed twice). Use it wherever an address is
 * registered or dialled: `${host}:${port}` is not an address for an IPv6 pod IP.
 */
export function formatAddress(host: string, port: number): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/**
 * Checks that `address` is `host:port`; throws InvalidOptionsError naming `name` and the value.
 */
export function assertAddress(name: string, address: unknown): string {
  if (parseAddress(address) === undefined) {
    throw new InvalidOptionsError(`${name} must be "host:port" (IPv6 as "[::1]:50051", port 1-65535); got ${show(address)}`);
  }
  return address as string;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Checks a service name (letters, digits, `.`, `_`, `-`); throws naming `name` and the value. */
export function assertServiceName(name: string, service: unknown): string {
  if (typeof service !== 'string' || !SERVICE_NAME.test(service) || service.length > 200) {
    throw new InvalidOptionsError(`${name} must be a service name (letters, digits, ".", "_", "-"); got ${show(service)}`);
  }
  return service;
}

/**
 * Validates and normalises an instance description (zone defaults to `''`, weight to 1,
 * metadata to `{}`); returns a frozen ServiceInstance.
 * @throws InvalidOptionsError naming the bad field (`${name}.address` ...) and its value.
 */
export function toServiceInstance(name: string, value: unknown): ServiceInstance {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError(`${name} must be a ServiceInstance object; got ${show(value)}`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || v['id'].trim() === '' || /\s/.test(v['id']) || v['id'].length > 200) {
    throw new InvalidOptionsError(`${name}.id must be a non-empty string without spaces; got ${show(v['id'])}`);
  }
  const service = assertServiceName(`${name}.service`, v['service']);
  const address = assertAddress(`${name}.address`, v['address']);
  const zone = v['zone'] ?? '';
  if (typeof zone !== 'string') throw new InvalidOptionsError(`${name}.zone must be a string; got ${show(zone)}`);
  const weight = v['weight'] ?? 1;
  if (typeof weight !== 'number' || !(weight > 0) || weight === Infinity) {
    throw new InvalidOptionsError(`${name}.weight must be a number > 0; got ${show(weight)}`);
  }
  const metadata = v['metadata'] ?? {};
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    Array.isArray(metadata) ||
    Object.values(metadata).some((m) => typeof m !== 'string')
  ) {
    throw new InvalidOptionsError(`${name}.metadata must be an object of strings; got ${show(metadata)}`);
  }
  return Object.freeze({
    id: v['id'],
    service,
    address,
    zone,
    weight,
    metadata: Object.freeze({ ...(metadata as Record<string, string>) }),
  });
}

/** Orders instances by id (views are kept sorted so they compare cheaply). */
export function byId(a: ServiceInstance, b: ServiceInstance): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * True when two id-sorted views hold the same instances (same ids, addresses, zones and
 * weights; metadata is ignored).
 */
export function sameView(a: readonly ServiceInstance[], b: readonly ServiceInstance[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.id !== y.id || x.address !== y.address || x.zone !== y.zone || x.weight !== y.weight) return false;
  }
  return true;
}
