import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { OperatorGuard } from '../auth/operator.guard';
import { SignedInGuard } from '../auth/signed-in.guard';
import { clientIp } from '../common/client-ip';
import type { GatewayRequest, GatewayResponse } from '../common/gateway-request';
import { parseConsoleAction, type ConsoleActionName } from './console-action';
import { ConsoleActionPolicy } from './console-action-policy.service';
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
 * server-sent events) for signed-in users, and `POST /api/console/actions` (kill/revive/failover/
 * faults through the local platform's control channel) for the operator only, within the limits of
 * ConsoleActionPolicy.
 */
@Controller('api/console')
export class ConsoleController {
  /** Collaborators. */
  constructor(
    private readonly snapshots: ConsoleSnapshotService,
    private readonly streams: ConsoleStreamsService,
    private readonly control: ControlClientService,
    private readonly policy: ConsoleActionPolicy,
  ) {}

  /** The current snapshot (401 without sign-in: it names pids, ports and the Redis topology). */
  @Get('snapshot')
  @UseGuards(SignedInGuard)
  snapshot(): Promise<ConsoleSnapshot> {
    return this.snapshots.snapshot();
  }

  /**
   * A `text/event-stream` of `snapshot` events, one per second, until the client leaves (401
   * without sign-in; 429 when too many are open here, or for this user or address).
   */
  @Get('events')
  @UseGuards(SignedInGuard)
  events(@Req() request: GatewayRequest, @Res() response: StreamResponse): void {
    if (request.method === 'HEAD') {
      // Express routes HEAD here too: the headers of a stream, no stream
      response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end();
      return;
    }
    this.streams.open(response, { user: request.user ?? 'unknown', ip: clientIp(request) });
  }

  /**
   * Performs an action through the control channel (401 without sign-in, 403 for anyone but the
   * operator, 400 on a bad body, 409 when it would stop the last gateway or pile up fault rules,
   * 429 beyond the operator's action limit, 503 without control).
   */
  @Post('actions')
  @HttpCode(200)
  @UseGuards(SignedInGuard, OperatorGuard)
  async act(@Body() body: unknown, @Req() request: GatewayRequest, @Res({ passthrough: true }) response: GatewayResponse): Promise<ConsoleActionResult> {
    const action = parseConsoleAction(body);
    await this.policy.admit(action, request.user ?? 'unknown', response);
    try {
      const result = await this.control.perform(action);
      return { ok: true, action: action.action, by: request.user ?? 'unknown', result };
    } finally {
      this.snapshots.invalidate();
    }
  }
}
