import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import type { GatewayResponse } from '../common/gateway-request';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';
import { RateLimiterService } from '../rate-limit/rate-limiter.service';
import { FRONT_DOOR_ID_PATTERN, type ConsoleAction } from './console-action';
import { ControlClientService, controlUnavailable, type ControlStatus } from './control-client.service';

/** Fault rules in force at once that the console may reach (more are refused with 409 `TOO_MANY_FAULTS`). */
export const CONSOLE_MAX_FAULTS = 20;

/**
 * What the console refuses even to the operator, because it would take the platform down for
 * everyone or pile up: stopping the last ready gateway (kill, hang or terminate, a gateway asked to
 * stop itself included: 409 `LAST_GATEWAY`), more than CONSOLE_MAX_FAULTS fault rules in force
 * (409 `TOO_MANY_FAULTS`), and more than CONSOLE_ACTIONS_PER_WINDOW actions per operator per window
 * (429 `RATE_LIMITED`, shared by every gateway through Redis).
 */
@Injectable()
export class ConsoleActionPolicy {
  private readonly budget: { readonly limit: number; readonly windowMs: number };

  /** Collaborators and the action limit. */
  constructor(
    private readonly control: ControlClientService,
    private readonly limiter: RateLimiterService,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'CONSOLE_ACTIONS_PER_WINDOW' | 'CONSOLE_ACTIONS_WINDOW_MS'>,
  ) {
    this.budget = { limit: config.CONSOLE_ACTIONS_PER_WINDOW, windowMs: config.CONSOLE_ACTIONS_WINDOW_MS };
  }

  /**
   * Lets `action` of `user` go to the control channel, or throws why not.
   * @throws ApiError 429 `RATE_LIMITED`, 409 `LAST_GATEWAY` / `LAST_FRONT_DOOR` / `TOO_MANY_FAULTS`, 503 `CONTROL_UNAVAILABLE`.
   */
  async admit(action: ConsoleAction, user: string, response: GatewayResponse): Promise<void> {
    const decision = await this.limiter.consume(`console:${user}`, this.budget);
    const resetS = Math.max(1, Math.ceil(decision.resetMs / 1000));
    response.setHeader('RateLimit-Limit', String(decision.limit));
    response.setHeader('RateLimit-Remaining', String(decision.remaining));
    response.setHeader('RateLimit-Reset', String(resetS));
    if (!decision.allowed) {
      throw new ApiError(429, 'RATE_LIMITED', `too many console actions: at most ${decision.limit} per ${Math.round(this.budget.windowMs / 1000)} s per operator; try again in ${resetS} s`, {
        headers: { 'Retry-After': String(resetS) },
        details: { retryAfterSeconds: resetS },
      });
    }
    if (action.action === 'kill' && action.target.startsWith('gateway-')) lastGatewayCheck(action.target, await this.status());
    if (action.action === 'kill' && FRONT_DOOR_ID_PATTERN.test(action.target)) lastFrontDoorCheck(action.target, await this.status());
    if (action.action === 'add-fault') faultCapCheck(await this.status());
  }

  private async status(): Promise<ControlStatus> {
    const availability = await this.control.availability();
    if (!availability.available) throw controlUnavailable(availability.reason);
    return availability.status;
  }
}

/**
 * @throws ApiError 409 `LAST_GATEWAY` when no gateway but `target` is running and ready: stopping it
 *   would leave the front door with none (503 for everyone until someone revives one by hand).
 */
export function lastGatewayCheck(target: string, status: Pick<ControlStatus, 'instances'>): void {
  const others = status.instances.filter((i) => i.service === 'gateway' && i.id !== target && i.state === 'running' && i.ready === true);
  if (others.length > 0) return;
  throw new ApiError(409, 'LAST_GATEWAY', `${target} is the last ready gateway: stopping it would leave the front door with no gateway (503 for everyone). Revive another gateway first, and wait until it is ready.`);
}

/**
 * @throws ApiError 409 `LAST_FRONT_DOOR` when no front door but `target` is running: stopping it
 *   would cut everyone (this console too) off from the platform.
 */
export function lastFrontDoorCheck(target: string, status: Pick<ControlStatus, 'instances'>): void {
  const others = status.instances.filter((i) => i.service === 'haproxy' && i.id !== target && i.state === 'running');
  if (others.length > 0) return;
  throw new ApiError(409, 'LAST_FRONT_DOOR', `${target} is the last running front door: stopping it would cut everyone, this console too, off from the platform. Revive the other front door first.`);
}

/** @throws ApiError 409 `TOO_MANY_FAULTS` when CONSOLE_MAX_FAULTS rules are in force. */
export function faultCapCheck(status: Pick<ControlStatus, 'faults'>, nowMs: number = Date.now()): void {
  const inForce = status.faults.filter((f) => typeof f['expiresAt'] !== 'number' || f['expiresAt'] > nowMs).length;
  if (inForce < CONSOLE_MAX_FAULTS) return;
  throw new ApiError(409, 'TOO_MANY_FAULTS', `${inForce} fault rules are in force, the most the console allows is ${CONSOLE_MAX_FAULTS}: clear some (Clear faults) or wait until they expire`);
}
