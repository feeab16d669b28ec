import { Server, type ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { EventEmitter, type Disposable } from '../core/event';
import { InvalidOptionsError } from '../core/sidecar.error';
import { Authenticator } from '../auth/authenticator';
import { createServerCredentials } from '../auth/credentials';
import type { FaultSource } from '../faults/fault-source';
import { HEALTH_SERVICE_NAME, HealthService } from '../health/health.service';
import type { Readiness } from '../health/readiness';
import { isLevelEnabled, type Logger } from '../telemetry/logger';
import type { SidecarMetrics } from '../telemetry/metrics';
import { ServerCallRunner } from './call-runner';
import { BindError } from './grpc-error';
import type { ServiceHandlers } from './handler.types';
import { InFlight } from './in-flight';
import { AuthenticationPolicy } from './policies/authentication.policy';
import { DeadlineAdmissionPolicy } from './policies/deadline-admission.policy';
import { DrainingPolicy } from './policies/draining.policy';
import { FaultInjectionPolicy } from './policies/fault-injection.policy';
import { LoadSheddingPolicy } from './policies/load-shedding.policy';
import { PermissionPolicy } from './policies/permission.policy';
import { earlyAdmissionInterceptor } from './early-admission.interceptor';
import { checkRegistration, hostPort, resolveServerOptions, type ResolvedServerOptions } from './server-options';
import type { ServerPolicy } from './server-policy';
import { buildServiceImplementation } from './service-implementation';
import { installSignalHandlers } from './signal-handlers';
import type { Deregistration, ListenHook, ServerState, SidecarServerOptions, SidecarServerSnapshot, SignalHandlerOptions } from './server.types';

/**
 * A gRPC server with the sidecar's server-side policies. Before the request message is read, an
 * interceptor authenticates the caller and checks `permissions` (UNAUTHENTICATED /
 * PERMISSION_DENIED: the body is never buffered). Every admitted call then goes through the server
 * pipeline, in order: {@link DrainingPolicy} (UNAVAILABLE "draining"), {@link AuthenticationPolicy}
 * (UNAUTHENTICATED), {@link DeadlineAdmissionPolicy} (deadline already passed → DEADLINE_EXCEEDED,
 * handler not run), {@link LoadSheddingPolicy} (more than `maxConcurrent` in flight →
 * RESOURCE_EXHAUSTED "overloaded"), {@link FaultInjectionPolicy} (delay honouring the deadline and
 * cancellation, then abort); then the handler, inside a call scope (deadline, child trace span,
 * caller, signal) that downstream client calls inherit. Refusals carry the `x-failsoft-error`
 * trailer (DRAINING, UNAUTHENTICATED, DEADLINE_EXCEEDED, BULKHEAD_REJECTED, INJECTED_FAULT) so
 * clients can tell why (PERMISSION_DENIED too). Registers `grpc.health.v1.Health` (unauthenticated,
 * as probes expect; names and Watch streams capped by `healthLimits`) driven by readiness.
 */
export class SidecarServer {
  /** Logical service name. */
  readonly service: string;
  /** Instance id. */
  readonly instanceId: string;
  /** Zone ('' when unset). */
  readonly zone: string;
  /** The metrics sink. */
  readonly metrics: SidecarMetrics;
  /** The logger. */
  readonly logger: Logger;
  /** Readiness (add checks with `server.readiness.addCheck`). */
  readonly readiness: Readiness;
  /** The gRPC health service. */
  readonly health: HealthService;

  private readonly options: ResolvedServerOptions;
  private readonly authenticator: Authenticator;
  private readonly credentials: ServerCredentials;
  private readonly faults: FaultSource | undefined;
  private registration: Deregistration | undefined;
  private readonly listenHooks: ListenHook[] = [];
  private readonly grpc: Server;
  private readonly healthNames: string[] = [''];
  private readonly subscriptions: Disposable[] = [];
  private readonly stateChanged = new EventEmitter<{ from: ServerState; to: ServerState }>();
  private readonly drainingEmitter = new EventEmitter<void>();
  private readonly inFlightCalls = new InFlight();
  private readonly runner: ServerCallRunner;
  private readonly pipeline: {
    readonly draining: DrainingPolicy;
    readonly auth: AuthenticationPolicy;
    readonly permission: PermissionPolicy | undefined;
    readonly deadline: DeadlineAdmissionPolicy;
    readonly shedding: LoadSheddingPolicy;
    readonly faults: FaultInjectionPolicy | undefined;
  };
  private currentState: ServerState = 'idle';
  private boundPort: number | undefined;
  private startedAt: string | undefined;
  private starting: Promise<{ port: number }> | undefined;
  private draining: Promise<void> | undefined;
  private signalSubscription: Disposable | undefined;

  /** Fires when draining starts (before deregistration). */
  readonly onDraining = this.drainingEmitter.event;
  /** Fires on every lifecycle state change. */
  readonly onStateChange = this.stateChanged.event;

  /** @throws InvalidOptionsError naming the bad option and value. */
  constructor(options: SidecarServerOptions) {
    const o = (this.options = resolveServerOptions(options));
    this.service = o.service;
    this.instanceId = o.instanceId;
    this.zone = o.zone;
    this.authenticator = new Authenticator(o.auth);
    this.credentials = createServerCredentials(o.auth);
    this.faults = o.faults;
    this.metrics = o.metrics;
    this.logger = o.logger;
    this.readiness = o.readiness;
    this.registration = o.registration;
    if (o.onListen !== undefined) this.listenHooks.push(o.onListen);
    this.health = new HealthService({ '': 'NOT_SERVING' }, o.healthLimits);
    this.pipeline = {
      draining: new DrainingPolicy(() => this.currentState === 'serving', `instance ${this.instanceId} of ${this.service}`),
      auth: new AuthenticationPolicy(this.authenticator, this.metrics),
      permission: o.permissions === undefined ? undefined : new PermissionPolicy(o.permissions, this.service),
      deadline: new DeadlineAdmissionPolicy(this.metrics),
      shedding: new LoadSheddingPolicy(this.inFlightCalls, o.maxConcurrent, this.instanceId, this.metrics),
      faults: this.faults === undefined ? undefined : new FaultInjectionPolicy(this.service, this.faults, this.metrics),
    };
    const { auth, permission } = this.pipeline;
    const early = earlyAdmissionInterceptor({ authentication: auth, permissions: permission, metrics: this.metrics, exempt: (path) => path.startsWith(HEALTH_PATH) });
    this.grpc = new Server({ ...o.grpcOptions, interceptors: [early] });
    const policies: ServerPolicy[] = [this.pipeline.draining, this.pipeline.auth, this.pipeline.deadline, this.pipeline.shedding];
    if (this.pipeline.faults !== undefined) policies.push(this.pipeline.faults);
    this.runner = new ServerCallRunner({ policies, inFlight: this.inFlightCalls, metrics: this.metrics, logger: this.logger, debug: isLevelEnabled(this.logger, 'debug') });
    this.subscriptions.push(
      this.readiness.onChange((report) => {
        this.setHealth(report.ready && this.currentState === 'serving' ? 'SERVING' : 'NOT_SERVING');
        this.logger.info(report.ready ? 'ready' : 'not ready', { failing: report.failing });
      }),
    );
    if (this.faults !== undefined) {
      this.subscriptions.push(this.faults.onChange((rules) => this.logger.info('fault rules changed', { rules: rules.map((r) => r.id) })));
    }
  }

  /** Lifecycle state. */
  get state(): ServerState {
    return this.currentState;
  }

  /** Calls being served right now. */
  get inFlight(): number {
    return this.inFlightCalls.active;
  }

  /** The bound port (after start). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /**
   * Adds a service: `handlers` maps method names to promise-based handlers (unary, or
   * server-streaming for streaming methods). Methods without a handler answer UNIMPLEMENTED.
   * @throws InvalidOptionsError for unknown method names, non-function handlers, client-streaming
   *   methods, or when called after `start()`.
   */
  addService(definition: ServiceDefinition, handlers: ServiceHandlers): this {
    if (this.currentState !== 'idle') throw new InvalidOptionsError(`addService must be called before start(); the server is ${this.currentState}`);
    const { fullName, implementation } = buildServiceImplementation(definition, handlers, this.runner);
    this.grpc.addService(definition, implementation);
    if (!this.healthNames.includes(fullName)) {
      this.healthNames.push(fullName);
      this.health.setStatus(fullName, 'NOT_SERVING');
    }
    return this;
  }

  /**
   * Adds a hook run once the server listens, before `start()` resolves (e.g. registering in
   * discovery). @throws InvalidOptionsError after `start()`.
   */
  onListen(hook: ListenHook): Disposable {
    if (this.currentState !== 'idle') throw new InvalidOptionsError(`onListen must be called before start(); the server is ${this.currentState}`);
    if (typeof hook !== 'function') throw new InvalidOptionsError(`onListen(hook) needs a function; got ${typeof hook}`);
    this.listenHooks.push(hook);
    return { dispose: () => void this.listenHooks.splice(this.listenHooks.indexOf(hook) >>> 0, 1) };
  }

  /**
   * Registers the health service, starts the fault source (if it has `start()`), binds and
   * starts serving, runs the listen hooks; health turns SERVING once readiness passes. Port 0
   * picks a free port. Idempotent. @throws BindError when the address cannot be bound.
   */
  start(): Promise<{ port: number }> {
    if (this.starting !== undefined) return this.starting;
    if (this.currentState !== 'idle') return Promise.reject(new InvalidOptionsError(`start() cannot be called on a ${this.currentState} server`));
    this.starting = this.runStart();
    return this.starting;
  }

  /**
   * Graceful drain: readiness false and health NOT_SERVING, the deregister hook, new calls refused
   * with UNAVAILABLE "draining", in-flight calls awaited (at most `drainTimeoutMs` in all), then a
   * graceful shutdown (forced when the time is up). Idempotent: every call gets the same promise.
   */
  drain(): Promise<void> {
    this.draining ??= this.runDrain();
    return this.draining;
  }

  /**
   * Drains on SIGTERM / SIGINT and then exits with code 0 (unless `exit: false`); a second signal
   * exits at once (128 + signal number). Returns a Disposable that removes the handlers.
   */
  installSignalHandlers(options: SignalHandlerOptions = {}): Disposable {
    this.signalSubscription?.dispose();
    const handlers = installSignalHandlers(this, this.logger, options);
    const subscription: Disposable = {
      dispose: () => {
        handlers.dispose();
        if (this.signalSubscription === subscription) this.signalSubscription = undefined;
      },
    };
    this.signalSubscription = subscription;
    return subscription;
  }

  /** Stops at once: in-flight calls are cancelled, Watch streams end, readiness stops. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.currentState === 'stopped' && this.draining === undefined) return;
    this.readiness.shutdown();
    this.health.shutdown();
    this.grpc.forceShutdown();
    this.finishShutdown();
  }

  /**
   * Sets (or clears) what to deregister when draining — typically the discovery registration made
   * after `start()` resolved with the bound port. @throws InvalidOptionsError when it has no deregister().
   */
  setRegistration(registration: Deregistration | undefined): void {
    this.registration = checkRegistration(registration, 'setRegistration(registration)');
  }

  /** Counters and state for dashboards and `/snapshot`. */
  snapshot(): SidecarServerSnapshot {
    const { draining, auth, deadline, shedding, faults } = this.pipeline;
    return {
      service: this.service,
      instanceId: this.instanceId,
      zone: this.zone,
      state: this.currentState,
      address: this.boundPort === undefined ? undefined : hostPort(this.options.host, this.boundPort),
      inFlight: this.inFlightCalls.active,
      maxConcurrent: shedding.maxConcurrent,
      served: this.runner.served,
      failed: this.runner.failed,
      shed: shedding.refused,
      refused: { draining: draining.refused, unauthenticated: auth.refused, permissionDenied: this.pipeline.permission?.refused ?? 0, deadline: deadline.refused },
      faults: { delayed: faults?.delayed ?? 0, aborted: faults?.aborted ?? 0, rules: this.faults?.list() ?? [] },
      readiness: this.readiness.report(),
      health: this.health.statusesSnapshot(),
      startedAt: this.startedAt,
    };
  }

  private async runStart(): Promise<{ port: number }> {
    const { host } = this.options;
    this.setState('starting');
    this.health.addTo(this.grpc);
    const store = this.faults as (FaultSource & { start?: () => Promise<void> }) | undefined;
    if (typeof store?.start === 'function') await store.start();
    const address = hostPort(host, this.options.port);
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => this.grpc.bindAsync(address, this.credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
    } catch (error) {
      this.setState('stopped');
      this.readiness.shutdown();
      throw new BindError(address, error);
    }
    this.boundPort = port;
    this.startedAt = new Date().toISOString();
    this.setState('serving');
    const report = await this.readiness.markStarted();
    if (report.ready && this.currentState === 'serving') this.setHealth('SERVING');
    this.logger.info('listening', { host, port, zone: this.zone, maxConcurrent: this.options.maxConcurrent, auth: this.authenticator.auth.mode, ready: report.ready });
    for (const hook of [...this.listenHooks]) await hook({ host, port });
    return { port };
  }

  private async runDrain(): Promise<void> {
    // a serving server stops taking new calls synchronously, before drain() returns
    if (this.currentState !== 'serving' && this.starting !== undefined) await this.starting.catch(() => undefined);
    if (this.currentState !== 'serving') {
      this.finishShutdown();
      return;
    }
    const { drainTimeoutMs } = this.options;
    const startedAt = Date.now();
    const remaining = (): number => Math.max(0, drainTimeoutMs - (Date.now() - startedAt));
    this.setState('draining');
    this.drainingEmitter.emit();
    this.readiness.markDraining();
    this.setHealth('NOT_SERVING');
    this.logger.info('draining', { inFlight: this.inFlight, drainTimeoutMs });
    if (this.registration !== undefined) {
      try {
        await withTimeout(this.registration.deregister(), remaining());
      } catch (error) {
        this.logger.warn('deregistration failed while draining; continuing', { err: error });
      }
    }
    const idle = await this.inFlightCalls.waitIdle(remaining());
    if (!idle) this.logger.warn('drain timeout: cancelling in-flight calls', { inFlight: this.inFlight, drainTimeoutMs });
    this.health.shutdown();
    this.readiness.shutdown();
    const graceful = idle && (await this.tryShutdown(Math.max(remaining(), 100)));
    if (!graceful) this.grpc.forceShutdown();
    this.finishShutdown();
    this.logger.info('drained', { graceful, ms: Date.now() - startedAt });
  }

  private finishShutdown(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.signalSubscription?.dispose();
    this.inFlightCalls.releaseWaiters();
    if (this.currentState !== 'stopped') this.setState('stopped');
  }

  private tryShutdown(timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.grpc.tryShutdown(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private setHealth(value: 'SERVING' | 'NOT_SERVING'): void {
    for (const name of this.healthNames) this.health.setStatus(name, value);
  }

  private setState(to: ServerState): void {
    const from = this.currentState;
    if (from === to) return;
    this.currentState = to;
    this.stateChanged.emit({ from, to });
  }
}

const HEALTH_PATH = `/${HEALTH_SERVICE_NAME}/`;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
