import type { GatewayRequest } from './gateway-request';

/**
 * Most bytes of a refused request's body the gateway reads (and throws away) after answering, so
 * that the connection can be reused: above the largest body it accepts (an upload), far below what
 * an attacker may send. Past it the connection is cut: a 200 MiB body is never read to the end.
 */
export const DRAIN_BUDGET_BYTES = 16 * 1024 * 1024;

/**
 * Called when a request is answered before its body was read to the end (an error: 413, 401 on an
 * upload...). Node then reads the rest of the body to keep the connection alive; this cuts the
 * connection once more than `budget` bytes came in.
 */
export function limitDrain(request: Pick<GatewayRequest, 'complete' | 'socket' | 'on'>, budget: number = DRAIN_BUDGET_BYTES): void {
  if (request.complete !== false || request.on === undefined) return;
  let drained = 0;
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > budget) request.socket?.destroy?.();
  });
}
