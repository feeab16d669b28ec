import { isProcessAlive } from '@failsoft/local-runtime';
import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';
import { ChaosError, type ChaosErrorCode } from '../chaos/chaos.error';
import type { ChaosSignal, ChaosStatus, ChaosTarget, RedisKillOptions } from '../chaos/chaos-target';
import { readRunState, type FailsoftPaths } from '../run-state';
import { CONTROL_API_PREFIX, CONTROL_PATHS, type ControlAnswers, type ControlRedisKillRequest } from '@failsoft/contracts';

/** What to say when there is no local platform to talk to. */
export const NO_PLATFORM_MESSAGE = 'no local platform is running (no .failsoft/run-state.json / its process is gone): start one with `npm start`';

/** Thrown when no local platform runs (no run-state, its process gone, or its control channel unreachable): exit code 1. */
export class NoPlatformError extends Error {
  /** @param detail what exactly was found (appended to {@link NO_PLATFORM_MESSAGE}). */
  constructor(detail?: string) {
    super(detail ? `${NO_PLATFORM_MESSAGE} [${detail}]` : NO_PLATFORM_MESSAGE);
    this.name = 'NoPlatformError';
  }
}

/** Options of {@link ControlClient}. */
export interface ControlClientOptions {
  /** The control channel, `http://127.0.0.1:<port>`. */
  url: string;
  token: string;
  /** The platform's front door URL. */
  frontDoorUrl: string;
  /** Bound of one request (default 60 s; waitForHealthy adds its own timeout). */
  timeoutMs?: number;
}

const CODES: readonly ChaosErrorCode[] = ['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'UNAVAILABLE', 'INTERNAL'];

/**
 * The {@link ChaosTarget} of a platform started by `failsoft up` in another process, over its
 * control channel (HTTP on loopback, bearer token from the run-state file). Errors of the runner
 * come back as {@link ChaosError} with the runner's message; an unreachable runner is a
 * {@link NoPlatformError}.
 */
export class ControlClient implements ChaosTarget {
  readonly kind = 'local' as const;
  readonly url: string;
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  /** @throws RangeError on a bad URL or an empty token. */
  constructor(options: ControlClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new RangeError(`control url must be an http URL; got ${JSON.stringify(options.url)}`);
    }
    if (parsed.protocol !== 'http:') throw new RangeError(`control url must be an http URL; got ${JSON.stringify(options.url)}`);
    if (typeof options.token !== 'string' || options.token === '') throw new RangeError('control token must be a non-empty string');
    this.base = `${parsed.origin}${CONTROL_API_PREFIX}`;
    this.token = options.token;
    this.url = options.frontDoorUrl;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      if (cause === 'TimeoutError') throw new ChaosError('UNAVAILABLE', `the platform did not answer ${method} ${path} within ${timeoutMs / 1000} s; see: failsoft status`);
      throw new NoPlatformError(`its control channel ${this.base} does not answer: ${cause}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      const message = error?.message ?? `the control channel answered ${res.status} ${text.slice(0, 200)}`;
      if (res.status === 401) throw new ChaosError('BAD_REQUEST', `${message} (the run-state file does not match the running platform; restart it with npm start)`);
      const code = CODES.find((c) => c === error?.code) ?? (res.status === 404 ? 'NOT_FOUND' : res.status === 409 ? 'CONFLICT' : res.status < 500 ? 'BAD_REQUEST' : 'INTERNAL');
      throw new ChaosError(code, message);
    }
    return json as T;
  }

  status(): Promise<ChaosStatus> {
    return this.request<ChaosStatus>('GET', CONTROL_PATHS.status());
  }

  async instancesOf(service: string): Promise<string[]> {
    const status = await this.status();
    const services = [...new Set(status.instances.map((i) => i.service))];
    if (!services.includes(service)) throw new ChaosError('NOT_FOUND', `no service ${JSON.stringify(service)}; the services are ${services.join(', ')}`);
    return status.instances.filter((i) => i.service === service).map((i) => i.id);
  }

  async kill(id: string, signal: ChaosSignal): Promise<void> {
    await this.request('POST', CONTROL_PATHS.killInstance(id), { signal });
  }

  async revive(id: string): Promise<void> {
    await this.request('POST', CONTROL_PATHS.reviveInstance(id));
  }

  async redisFailover(): Promise<string> {
    return (await this.request<ControlAnswers['redisFailover']>('POST', CONTROL_PATHS.redisFailover())).master;
  }

  async redisKillMaster(): Promise<string> {
    return (await this.request<ControlAnswers['redisKillMaster']>('POST', CONTROL_PATHS.redisKillMaster())).killed;
  }

  async redisPauseMaster(): Promise<string> {
    return (await this.request<ControlAnswers['redisPauseMaster']>('POST', CONTROL_PATHS.redisPauseMaster())).paused;
  }

  async redisResume(): Promise<void> {
    await this.request('POST', CONTROL_PATHS.redisResume());
  }

  async redisKillNode(node: string, options: RedisKillOptions): Promise<string> {
    const body: ControlRedisKillRequest = { hold: options.hold, replicaOnly: options.replicaOnly };
    return (await this.request<ControlAnswers['redisNode']>('POST', CONTROL_PATHS.redisKillNode(node), body)).node;
  }

  async redisReviveNode(node: string): Promise<string> {
    return (await this.request<ControlAnswers['redisNode']>('POST', CONTROL_PATHS.redisReviveNode(node))).node;
  }

  async partition(groups: string[][]): Promise<string[]> {
    return (await this.request<{ ok: true; cut: string[] }>('POST', '/partitions', { groups })).cut;
  }

  async heal(): Promise<void> {
    await this.request('DELETE', '/partitions');
  }

  async killSentinel(index: number): Promise<void> {
    await this.request('POST', CONTROL_PATHS.killSentinel(index));
  }

  async reviveSentinel(index: number): Promise<void> {
    await this.request('POST', CONTROL_PATHS.reviveSentinel(index));
  }

  addFault(rule: FaultRuleInput): Promise<FaultRule> {
    return this.request<FaultRule>('POST', CONTROL_PATHS.faults(), rule);
  }

  async removeFault(id: string): Promise<void> {
    await this.request('DELETE', CONTROL_PATHS.fault(id));
  }

  listFaults(): Promise<FaultRule[]> {
    return this.request<FaultRule[]>('GET', CONTROL_PATHS.faults());
  }

  async waitForHealthy(timeoutMs: number): Promise<void> {
    await this.request('POST', CONTROL_PATHS.waitHealthy(), { timeoutMs }, timeoutMs + 10_000);
  }
}

/**
 * The {@link ControlClient} of the platform whose run-state file is `paths.runState`.
 * @throws NoPlatformError when there is none, it stopped, its process is gone, or it has no control channel.
 */
export function controlTargetFromRunState(paths: Pick<FailsoftPaths, 'runState'>): ControlClient {
  let state;
  try {
    state = readRunState(paths.runState);
  } catch (error) {
    throw new NoPlatformError((error as Error).message);
  }
  if (!state) throw new NoPlatformError(`${paths.runState} does not exist`);
  if (state.stoppedAt !== null) throw new NoPlatformError(`the platform of ${paths.runState} stopped at ${state.stoppedAt}`);
  if (!isProcessAlive(state.cliPid)) throw new NoPlatformError(`its failsoft up process (pid ${state.cliPid}) is gone`);
  if (!state.control) throw new NoPlatformError(`the platform of ${paths.runState} has no control channel (started by an older failsoft? restart it)`);
  return new ControlClient({ url: state.control.url, token: state.control.token, frontDoorUrl: state.frontDoor.url });
}
