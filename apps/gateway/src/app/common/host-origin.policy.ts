/** Host names every gateway accepts: the loopback names a browser on the same machine uses. */
export const LOOPBACK_HOSTS = Object.freeze(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Methods that change something: their `Origin`, when sent, must be one of the accepted hosts. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Why a request is refused before routing, or undefined when it may go on. */
export interface HostOriginRefusal {
  readonly status: 421 | 403;
  readonly code: 'UNKNOWN_HOST' | 'FORBIDDEN_ORIGIN';
  readonly message: string;
}

/**
 * The accepted hosts: the loopback names, this instance's own addresses (`ADVERTISE_HOST`: what
 * Kubernetes probes send as Host) and the configured public names (`PUBLIC_HOSTS`, comma-separated;
 * `*` accepts every host and turns the check off). Lower-case, without port.
 */
export function acceptedHosts(publicHosts: string, ownHosts: readonly string[]): ReadonlySet<string> | 'any' {
  const configured = publicHosts.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (configured.includes('*')) return 'any';
  const own = ownHosts.map((h) => h.toLowerCase()).filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::');
  // an IPv6 address comes in Host in brackets
  return new Set([...LOOPBACK_HOSTS, ...own, ...own.filter((h) => h.includes(':')).map((h) => `[${h}]`), ...configured]);
}

/** `example.com:8080` → `example.com`; `[::1]:80` → `[::1]`. */
export function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * Checks `Host` (DNS rebinding: a page whose domain resolves to 127.0.0.1 sends its own name) and,
 * on state-changing methods, `Origin` when present (a cross-site form or fetch). A request without
 * Host (an HTTP/1.0 health check) is accepted; so is any Origin that names an accepted host.
 */
export function hostOriginRefusal(method: string, host: string | undefined, origin: string | undefined, accepted: ReadonlySet<string> | 'any'): HostOriginRefusal | undefined {
  if (accepted === 'any') return undefined;
  if (host !== undefined && host !== '' && !accepted.has(hostName(host))) {
    return {
      status: 421,
      code: 'UNKNOWN_HOST',
      message: `this gateway does not serve the host ${JSON.stringify(hostName(host).slice(0, 100))}: use http://127.0.0.1 or http://localhost, or add the name to PUBLIC_HOSTS`,
    };
  }
  if (origin === undefined || !STATE_CHANGING.has(method.toUpperCase())) return undefined;
  let originHost: string | undefined;
  try {
    const url = new URL(origin);
    originHost = url.protocol === 'http:' || url.protocol === 'https:' ? hostName(url.host) : undefined;
  } catch {
    originHost = undefined;
  }
  if (originHost !== undefined && accepted.has(originHost)) return undefined;
  return {
    status: 403,
    code: 'FORBIDDEN_ORIGIN',
    message: `a ${method.toUpperCase()} from the page at ${JSON.stringify(origin.slice(0, 100))} is refused: only pages of this platform may change things (cross-site request)`,
  };
}
