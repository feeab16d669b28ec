import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { AdminHandlers } from '../health/admin-handlers';
import { Sidecar } from '../sidecar';
import { SIDECAR } from './sidecar.constants';

/** The minimal response surface used (Express and Fastify adapters both provide it via raw objects). */
interface HttpResponse {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
  send(body: string): unknown;
}

/**
 * `GET /livez`, `/readyz` (503 with failing checks named while not ready or draining),
 * `/metrics` (Prometheus text) and `/snapshot` (the live state a console reads).
 */
@Controller()
export class SidecarEndpointsController {
  private readonly handlers: AdminHandlers;

  constructor(@Inject(SIDECAR) private readonly sidecar: Sidecar) {
    this.handlers = new AdminHandlers({ metrics: sidecar.metrics, readiness: sidecar.readiness, snapshot: () => sidecar.snapshot() });
  }

  /** Liveness. */
  @Get('livez')
  livez(@Req() req: { method: string }, @Res() res: HttpResponse): Promise<void> {
    return this.reply('/livez', req, res);
  }

  /** Readiness. */
  @Get('readyz')
  readyz(@Req() req: { method: string }, @Res() res: HttpResponse): Promise<void> {
    return this.reply('/readyz', req, res);
  }

  /** Prometheus metrics. */
  @Get('metrics')
  metrics(@Req() req: { method: string }, @Res() res: HttpResponse): Promise<void> {
    return this.reply('/metrics', req, res);
  }

  /** Live snapshot (instances, breakers, rates). */
  @Get('snapshot')
  snapshot(@Req() req: { method: string }, @Res() res: HttpResponse): Promise<void> {
    return this.reply('/snapshot', req, res);
  }

  private async reply(path: string, req: { method: string }, res: HttpResponse): Promise<void> {
    const response = await this.handlers.handle(req.method, path);
    res.status(response.status);
    for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
    res.send(response.body);
  }
}
