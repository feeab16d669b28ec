import { Controller, Get } from '@nestjs/common';

/** `GET /livez`: the process is up and its event loop answers. */
@Controller()
export class LivenessController {
  private readonly startedAt = Date.now();

  /** Liveness probe: 200 with uptime while the process runs. */
  @Get('livez')
  livez(): { status: 'ok'; uptimeSeconds: number } {
    return { status: 'ok', uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) };
  }
}
