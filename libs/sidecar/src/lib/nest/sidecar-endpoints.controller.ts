import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { AdminHandlers } from '../health/admin-handlers';
import { Sidecar } from '../sidecar';
import { SIDECAR } from './sidecar.constants';

/**
 * The response surface used, common to the Express response and the Fastify reply: `status(code)`
 * and `send(body)` exist on both; headers are set with `header(name, value)` (Fastify's reply, and
 * Express' alias of `set`) or `setHeader` (Node's `ServerResponse`, which only Express extends).
 */
export interface HttpReply {
  status(code: number): unknown;
  send(body: string): unknown;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/** Writes one answer on an Express response or a Fastify reply. */
export function sendReply(res: HttpReply, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  res.status(status);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof res.header === 'function') res.header(name, value);
    else if (typeof res.setHeader === 'function') res.setHeader(name, value);
    else throw new TypeError('SidecarEndpointsController: the HTTP adapter\'s response has neither header() nor setHeader()');
  }
  res.send(body);
}

/**
 * `GET /livez`, `/readyz` (503 with failing checks named while not ready or draining),
 * `/metrics` (Prometheus text) and `/snapshot` (the live state a console reads), on the Express
 * and the Fastify adapters alike.
 */
@Controller()
export class SidecarEndpointsController {
  private readonly handlers: AdminHandlers;

  constructor(@Inject(SIDECAR) private readonly sidecar: Sidecar) {
    this.handlers = new AdminHandlers({ metrics: sidecar.metrics, readiness: sidecar.readiness, snapshot: () => sidecar.snapshot() });
  }

  /** Liveness. */
  @Get('livez')
  livez(@Req() req: { method: string }, @Res() res: HttpReply): Promise<void> {
    return this.reply('/livez', req, res);
  }

  /** Readiness. */
  @Get('readyz')
  readyz(@Req() req: { method: string }, @Res() res: HttpReply): Promise<void> {
    return this.reply('/readyz', req, res);
  }

  /** Prometheus metrics. */
  @Get('metrics')
  metrics(@Req() req: { method: string }, @Res() res: HttpReply): Promise<void> {
    return this.reply('/metrics', req, res);
  }

  /** Live snapshot (instances, breakers, rates). */
  @Get('snapshot')
  snapshot(@Req() req: { method: string }, @Res() res: HttpReply): Promise<void> {
    return this.reply('/snapshot', req, res);
  }

  private async reply(path: string, req: { method: string }, res: HttpReply): Promise<void> {
    const response = await this.handlers.handle(req.method, path);
    sendReply(res, response.status, response.headers, response.body);
  }
}
