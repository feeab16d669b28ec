import { isIP } from 'node:net';
import type { GatewayRequest } from './gateway-request';

/**
 * Peers whose `X-Forwarded-For` is believed: loopback (the local front door) and private ranges
 * (compose's HAProxy, a Kubernetes ingress controller: clients never reach a gateway directly there).
 */
const TRUSTED_PROXY = /^(::ffff:)?(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)|^::1$|^f[cd][0-9a-f]{2}:/i;

/**
 * True when the connection's peer is a proxy of the platform (loopback or a private address: the
 * front door, an ingress controller), whose headers (`X-Forwarded-For`, `X-Request-Id`) are believed.
 */
export function fromTrustedProxy(request: Pick<GatewayRequest, 'socket'>): boolean {
  return TRUSTED_PROXY.test(request.socket?.remoteAddress ?? '');
}

/**
 * The client's IP address as far as the gateway can tell: the connection's peer, or, when that
 * peer is a proxy of the platform (loopback or a private address: the front door with
 * `option forwardfor`, an ingress controller), the last address of `X-Forwarded-For` (the one the
 * proxy appended; earlier ones are the client's word). `unknown` when there is none.
 */
export function clientIp(request: Pick<GatewayRequest, 'headers' | 'socket'>): string {
  const peer = request.socket?.remoteAddress ?? '';
  if (TRUSTED_PROXY.test(peer)) {
    const header = request.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const last = forwarded[forwarded.length - 1];
    if (last !== undefined && isIP(last) !== 0) return last;
  }
  return peer === '' ? 'unknown' : peer;
}
