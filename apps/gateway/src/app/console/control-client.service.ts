import { CONTROL_API_PREFIX, CONTROL_PATHS, type ControlStatus } from '@failsoft/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import type { ConsoleAction } from './console-action';
import { CONSOLE_OPTIONS, CONTROL_ACTION_TIMEOUT_MS, CONTROL_TIMEOUT_MS, NO_CONTROL_REASON, type ConsoleOptions } from './console.constants';

/** The platform's status, its instances and Redis nodes as the control channel reports them (`GET /v1/status`). */
export type { ControlInstance, ControlRedisNode, ControlStatus } from '@failsoft/contracts';

/** Whether the console can control processes, and when it cannot, why. */
export type ControlAvailability = { readonly available: true; readonly status: ControlStatus } | { readonly available: false; readonly reason: string };

/**
 * Client of the control channel of `failsoft up` (HTTP on loopback with a bearer token, see
 * apps/cli/src/app/control/): the platform's status, and the console's actions. Configured by
 * `FAILSOFT_CONTROL_URL` and `FAILSOFT_CONTROL_TOKEN`; without them (docker compose, Kubernetes)
 * every action is refused with 503 `CONTROL_UNAVAILABLE` and the reason.
 */
@Injectable()
export class ControlClientService {
  private readonly baseUrl: string;
  private readonly misconfigured?: string;

  /** @param options the console options (control URL and token). */
  constructor(@Inject(CONSOLE_OPTIONS) private readonly options: ConsoleOptions) {
    this.baseUrl = options.controlUrl.replace(/\/+$/, '');
    if (this.baseUrl !== '') {
      let parsed: URL | undefined;
      try {
        parsed = new URL(this.baseUrl);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        this.misconfigured = `FAILSOFT_CONTROL_URL must be an http(s) URL like http://127.0.0.1:7070; got ${JSON.stringify(options.controlUrl.slice(0, 80))}`;
      } else if (options.controlToken === '') {
        this.misconfigured = 'FAILSOFT_CONTROL_URL is set but FAILSOFT_CONTROL_TOKEN is not: the control channel needs its bearer token';
      }
    }
  }

  /** True when a control channel is configured (it may still not answer). */
  get configured(): boolean {
    return this.baseUrl !== '' && this.misconfigured === undefined;
  }

  /** The platform's status, or why there is none (never rejects). */
  async availability(): Promise<ControlAvailability> {
    if (this.baseUrl === '') return { available: false, reason: NO_CONTROL_REASON };
    if (this.misconfigured !== undefined) return { available: false, reason: this.misconfigured };
    try {
      const status = (await this.request('GET', CONTROL_PATHS.status(), undefined, CONTROL_TIMEOUT_MS)) as ControlStatus;
      if (typeof status !== 'object' || status === null || !Array.isArray(status.instances)) {
        return { available: false, reason: `the control channel at ${this.baseUrl} answered GET /v1/status with something that is not a platform status` };
      }
      return { available: true, status };
    } catch (error) {
      return { available: false, reason: (error as Error).message };
    }
  }

  /**
   * Performs an action through the control channel; resolves with its JSON answer.
   * @throws ApiError 503 `CONTROL_UNAVAILABLE` without a control channel or when it does not answer,
   *   the control channel's own 4xx (e.g. 404 unknown instance), 502 `CONTROL_FAILED` on its 5xx.
   */
  async perform(action: ConsoleAction): Promise<unknown> {
    if (!this.configured) throw controlUnavailable(this.misconfigured ?? NO_CONTROL_REASON);
    const t = CONTROL_ACTION_TIMEOUT_MS;
    switch (action.action) {
      case 'kill':
        return this.request('POST', CONTROL_PATHS.killInstance(action.target), { signal: action.signal }, t);
      case 'revive':
        return this.request('POST', CONTROL_PATHS.reviveInstance(action.target), {}, t);
      case 'kill-service':
        return this.request('POST', CONTROL_PATHS.killService(action.target), {}, t);
      case 'revive-service':
        return this.request('POST', CONTROL_PATHS.reviveService(action.target), {}, t);
      case 'redis-failover':
        return this.request('POST', CONTROL_PATHS.redisFailover(), {}, t);
      case 'add-fault':
        return this.request('POST', CONTROL_PATHS.faults(), action.fault, t);
      case 'clear-faults':
        return this.request('DELETE', CONTROL_PATHS.faults(), undefined, t);
    }
  }

  private async request(method: string, route: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const path = `${CONTROL_API_PREFIX}${route}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.controlToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const what = (error as Error).name === 'TimeoutError' ? `did not answer within ${timeoutMs} ms` : `cannot be reached (${causeOf(error)})`;
      throw controlUnavailable(`the control channel of \`failsoft up\` at ${this.baseUrl} ${what}: is the platform still running?`);
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined) throw new ApiError(502, 'CONTROL_FAILED', `the control channel answered ${method} ${path} with a body that is not JSON`);
      return json;
    }
    const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
    const message = typeof error?.message === 'string' ? error.message : `the control channel answered ${method} ${path} with HTTP ${response.status}`;
    if (response.status === 401 || response.status === 403) {
      throw controlUnavailable(`the control channel refused this gateway's token (${message}): restart the platform so the gateways get the current token`);
    }
    if (response.status >= 400 && response.status < 500) throw new ApiError(response.status, code, message);
    throw new ApiError(502, 'CONTROL_FAILED', `the control channel could not do it: ${message}`);
  }
}

/** 503 `CONTROL_UNAVAILABLE` with the reason. */
export function controlUnavailable(reason: string): ApiError {
  return new ApiError(503, 'CONTROL_UNAVAILABLE', reason, { headers: { 'Retry-After': '5' } });
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return (error as Error).message;
}
