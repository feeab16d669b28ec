import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { SignedInGuard } from '../auth/signed-in.guard';
import type { GatewayRequest } from '../common/gateway-request';
import { parseConsoleAction, type ConsoleActionName } from './console-action';
import { ConsoleSnapshotService, type ConsoleSnapshot } from './console-snapshot.service';
import { ConsoleStreamsService, type StreamResponse } from './console-streams.service';
import { ControlClientService } from './control-client.service';

/** What `POST /api/console/actions` answers. */
export interface ConsoleActionResult {
  readonly ok: true;
  readonly action: ConsoleActionName;
  /** Who asked (the signed-in user). */
  readonly by: string;
  /** The control channel's answer (e.g. `{"ok":true,"master":"127.0.0.1:7001"}` for a failover). */
  readonly result: unknown;
}

/**
 * The console's API: `GET /api/console/snapshot` (the topology, breakers, Redis, trending leader,
 * traffic, and whether actions work here), `GET /api/console/events` (the same, live, as
 * server-sent events) and `POST /api/console/actions` (kill/revive/failover/faults through the
 * local platform's control channel; signed-in users only).
 */
@Controller('api/console')
export class ConsoleController {
  /** Collaborators. */
  constructor(
    private readonly snapshots: ConsoleSnapshotService,
    private readonly streams: ConsoleStreamsService,
    private readonly control: ControlClientService,
  ) {}

  /** The current snapshot. */
  @Get('snapshot')
  snapshot(): Promise<ConsoleSnapshot> {
    return this.snapshots.snapshot();
  }

  /** A `text/event-stream` of `snapshot` events, one per second, until the client leaves (429 when too many are open). */
  @Get('events')
  events(@Req() request: { method: string }, @Res() response: StreamResponse): void {
    if (request.method === 'HEAD') {
      // Express routes HEAD here too: the headers of a stream, no stream
      response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end();
      return;
    }
    this.streams.open(response);
  }

  /** Performs an action through the control channel (401 without sign-in, 400 on a bad body, 503 without control). */
  @Post('actions')
  @HttpCode(200)
  @UseGuards(SignedInGuard)
  async act(@Body() body: unknown, @Req() request: GatewayRequest): Promise<ConsoleActionResult> {
    const action = parseConsoleAction(body);
    try {
      const result = await this.control.perform(action);
      return { ok: true, action: action.action, by: request.user ?? 'unknown', result };
    } finally {
      this.snapshots.invalidate();
    }
  }
}
