import {
  Metadata,
  Server,
  status,
  type ChannelOptions,
  type ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { runInCallScope } from '../core/call-scope';
import { EventEmitter, type Disposable } from '../core/event';
import { MetadataKeys } from '../core/metadata-keys';
import { InvalidOptionsError, type SidecarErrorCode } from '../core/sidecar.error';
import { assertNumber, assertObject, assertString, show } from '../core/validate';
import { Authenticator } from '../auth/authenticator';
import { createServerCredentials } from '../auth/credentials';
import { isUnauthenticatedError } from '../auth/unauthenticated.error';
import type { AuthOptions } from '../auth/auth-options';
import { isFaultSource, type FaultDecision, type FaultSource } from '../faults/fault-source';
import type { FaultRule } from '../faults/fault-rule';
import { HealthService } from '../health/health.service';
import { Readiness, type ReadinessReport } from '../health/readiness';
import { createLogger, isLevelEnabled, type Logger } from '../telemetry/logger';
import { SidecarMetrics, statusLabel } from '../telemetry/metrics';
import { INTERNAL_ERROR_DETAILS, BindError, mapHandlerError } from './grpc-error';
import { DEADLINE_SLACK_MS, ServerCallContext, type HandlerContext, type ServerSurfaceCall } from './handler-context';

/** A promise-based unary handler: resolve with the response, throw to fail (see `mapHandlerError`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UnaryHandler<Req = any, Res = any> = (request: Req, ctx: HandlerContext) => Promise<Res> | Res;

/** Where a server-streaming handler writes its messages; `write` resolves when the stream can take more. */
export interface ResponseStream<Res> {
  /** Sends one message; await it to respect backpressure. Rejects once the call is cancelled. */
  write(message: Res): Promise<void>;
}

/** A server-streaming handler: write messages, resolve to end the stream OK, throw to fail it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServerStreamHandler<Req = any, Res = any> = (request: Req, ctx: HandlerContext, stream: ResponseStream<Res>) => Promise<void> | void;

/** Handlers of one service, by method name (`Echo`, or its camelCase `echo`). */
export type ServiceHandlers = Record<string, UnaryHandler | ServerStreamHandler>;

/**
 * Something to deregister from discovery when draining (awaited, bounded by the drain timeout).
 * A discovery `Registration` (from `RedisRegistry.register`) fits.
 */
export interface Deregistration {
  /** Removes this instance from discovery. */
  deregister(): Promise<void>;
}

/** @deprecated old name of {@link Deregistration}, kept for existing imports. */
export type Registration = Deregistration;

/** Options of {@link SidecarServer}. */
export interface SidecarServerOptions {
  /** Logical service name, e.g. `likes` (fault rules and logs use it). */
  service: string;
  /** Unique id of this instance. */
  instanceId: string;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Failure domain of the instance (shown in snapshots). */
  zone?: string;
  /** How incoming calls are authenticated: shared token, or mutual TLS. */
  auth: AuthOptions;
  /** Calls served at once at most; more are shed with RESOURCE_EXHAUSTED (default 256). */
  maxConcurrent?: number;
  /** Longest wait for in-flight calls when draining, in ms (default 10000). */
  drainTimeoutMs?: number;
  /**
   * Fault rules applied to incoming calls (a FaultRules or a RedisFaultRuleStore). `start()` calls
   * the store's `start()`; shutting the store down stays with its owner.
   */
  faults?: FaultSource;
  /** Metrics sink (default: a SidecarMetrics on its own registry, see `server.metrics`). */
  metrics?: SidecarMetrics;
  /** Logger (default: JSON lines on stdout at level info). */
  logger?: Logger;
  /** Readiness to use (default: a new one, see `server.readiness`; add checks to it). */
  readiness?: Readiness;
  /** Deregistration hook run when draining (or set it after `start()` with `setRegistration`, once the port is known). */
  registration?: Deregistration;
  /** Extra grpc-js server options (message sizes, keepalive ...). */
  grpcOptions?: ChannelOptions;
}

/** Lifecycle states of a {@link SidecarServer}. */
export type ServerState = 'idle' | 'starting' | 'serving' | 'draining' | 'stopped';

/** Counters and state reported by {@link SidecarServer.snapshot}. */
export interface SidecarServerSnapshot {
  /** Logical service name. */
  readonly service: string;
  /** Instance id. */
  readonly instanceId: string;
  /** Zone ('' when unset). */
  readonly zone: string;
  /** Lifecycle state. */
  readonly state: ServerState;
  /** `host:port` once bound. */
  readonly address: string | undefined;
  /** Calls being served. */
  readonly inFlight: number;
  /** The load-shedding limit. */
  readonly maxConcurrent: number;
  /** Calls whose handler ran to completion (success or error). */
  readonly served: number;
  /** Calls whose handler failed (any non-OK status). */
  readonly failed: number;
  /** Calls shed with RESOURCE_EXHAUSTED. */
  readonly shed: number;
  /** Calls refused before running, by reason. */
  readonly refused: { readonly draining: number; readonly unauthenticated: number; readonly deadline: number };
  /** Injected faults and the rules in force. */
  readonly faults: { readonly delayed: number; readonly aborted: number; readonly rules: readonly FaultRule[] };
  /** The readiness report. */
  readonly readiness: ReadinessReport;
  /** gRPC health status per service name ('' = the whole server). */
  readonly health: Record<string, string>;
  /** When the server started listening (ISO time). */
  readonly startedAt: string | undefined;
}

/** Options of {@link SidecarServer.installSignalHandlers}. */
export interface SignalHandlerOptions {
  /** Exit the process after draining (default true): code 0, or 1 if draining failed. */
  exit?: boolean;
  /** Signals to handle (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}

interface MethodInfo {
  readonly name: string;
  readonly path: string;
}

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129, SIGQUIT: 131 };

/**
 * The caller's absolute deadline from {@link MetadataKeys.deadline} (Infinity when absent or not a
 * positive integer): unlike `grpc-timeout`, it does not restart when this server reads the call late.
 */
function absoluteDeadline(metadata: Metadata): number {
  const [raw] = metadata.get(MetadataKeys.deadline);
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return Infinity;
  return Number(raw);
}

/**
 * A gRPC server with the sidecar's server-side policies. Every call goes through, in order:
 * draining? → UNAVAILABLE "draining"; authentication → UNAUTHENTICATED; deadline already passed →
 * DEADLINE_EXCEEDED (handler not run); more than `maxConcurrent` in flight → RESOURCE_EXHAUSTED
 * "overloaded"; fault injection (delay honouring the deadline and cancellation, then abort); the
 * handler, inside a call scope (deadline, child trace span, caller, signal) that downstream client
 * calls inherit. Refusals carry the `x-failsoft-error` trailer (DRAINING, UNAUTHENTICATED,
 * DEADLINE_EXCEEDED, BULKHEAD_REJECTED, INJECTED_FAULT) so clients can tell why.
 * Registers `grpc.health.v1.Health` (unauthenticated, as probes expect) driven by readiness.
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

  private readonly host: string;
  private readonly requestedPort: number;
  private readonly maxConcurrent: number;
  private readonly drainTimeoutMs: number;
  private readonly authenticator: Authenticator;
  private readonly credentials: ServerCredentials;
  private readonly faults: FaultSource | undefined;
  private registration: Deregistration | undefined;
  private readonly grpc: Server;
  private readonly debug: boolean;
  private readonly healthNames: string[] = [];
  private readonly subscriptions: Disposable[] = [];
  private readonly stateChanged = new EventEmitter<{ from: ServerState; to: ServerState }>();
  private readonly drainingEmitter = new EventEmitter<void>();
  private currentState: ServerState = 'idle';
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private boundPort: number | undefined;
  private startedAt: string | undefined;
  private starting: Promise<{ port: number }> | undefined;
  private draining: Promise<void> | undefined;
  private signalSubscription: Disposable | undefined;
  private readonly counts = { served: 0, failed: 0, shed: 0, draining: 0, unauthenticated: 0, deadline: 0, delayed: 0, aborted: 0 };

  /** Fires when draining starts (before deregistration). */
  readonly onDraining = this.drainingEmitter.event;
  /** Fires on every lifecycle state change. */
  readonly onStateChange = this.stateChanged.event;

  /** @throws InvalidOptionsError naming the bad option and value. */
  constructor(options: SidecarServerOptions) {
    assertObject('server options', options);
    this.service = assertString('server.service', options.service);
    this.instanceId = assertString('server.instanceId', options.instanceId);
    this.host = assertString('server.host', options.host ?? '127.0.0.1');
    this.requestedPort = assertNumber('server.port', options.port ?? 0, 0, 65535, true);
    if (options.zone !== undefined && typeof options.zone !== 'string') throw new InvalidOptionsError(`server.zone must be a string; got ${show(options.zone)}`);
    this.zone = options.zone ?? '';
    this.maxConcurrent = assertNumber('server.maxConcurrent', options.maxConcurrent ?? 256, 1, Infinity, true);
    this.drainTimeoutMs = assertNumber('server.drainTimeoutMs', options.drainTimeoutMs ?? 10_000, 0, Infinity, true);
    if (options.auth === undefined) {
      throw new InvalidOptionsError('server.auth is required: { token } or { tls: { ca, cert, key }, token? } (unauthenticated servers are not supported)');
    }
    this.authenticator = new Authenticator(options.auth);
    this.credentials = createServerCredentials(options.auth);
    if (options.faults !== undefined && !isFaultSource(options.faults)) {
      throw new InvalidOptionsError(`server.faults must be a FaultRules or RedisFaultRuleStore; got ${show(options.faults)}`);
    }
    this.faults = options.faults;
    if (options.metrics !== undefined && typeof (options.metrics as Partial<SidecarMetrics>).serverCall !== 'function') {
      throw new InvalidOptionsError(`server.metrics must be a SidecarMetrics; got ${show(options.metrics)}`);
    }
    this.metrics = options.metrics ?? new SidecarMetrics({ service: this.service, instance: this.instanceId });
    if (options.logger !== undefined && (typeof options.logger !== 'object' || typeof options.logger.error !== 'function' || typeof options.logger.child !== 'function')) {
      throw new InvalidOptionsError(`server.logger must implement Logger (debug/info/warn/error/child); got ${show(options.logger)}`);
    }
    this.logger = options.logger ?? createLogger({ service: this.service, instance: this.instanceId });
    this.debug = isLevelEnabled(this.logger, 'debug');
    if (options.readiness !== undefined && !(options.readiness instanceof Readiness)) {
      throw new InvalidOptionsError(`server.readiness must be a Readiness; got ${show(options.readiness)}`);
    }
    this.readiness = options.readiness ?? new Readiness();
    this.registration = checkRegistration(options.registration, 'server.registration');
    if (options.grpcOptions !== undefined) assertObject('server.grpcOptions', options.grpcOptions);
    this.grpc = new Server(options.grpcOptions);
    this.health = new HealthService({ '': 'NOT_SERVING' });
    this.healthNames.push('');
    this.subscriptions.push(
      this.readiness.onChange((report) => {
        const value = report.ready && this.currentState === 'serving' ? 'SERVING' : 'NOT_SERVING';
        for (const name of this.healthNames) this.health.setStatus(name, value);
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
    return this.active;
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
    assertObject('addService definition', definition);
    assertObject('addService handlers', handlers);
    const methods = Object.entries(definition);
    if (methods.length === 0) throw new InvalidOptionsError('addService definition has no methods');
    const known = new Set<string>();
    const implementation: UntypedServiceImplementation = {};
    let fullName = '';
    for (const [name, method] of methods) {
      known.add(name);
      if (method.originalName !== undefined) known.add(method.originalName);
      fullName = method.path.slice(1, method.path.lastIndexOf('/'));
      const handler = (handlers as Record<string, unknown>)[name] ?? (method.originalName === undefined ? undefined : (handlers as Record<string, unknown>)[method.originalName]);
      if (handler === undefined) continue;
      if (typeof handler !== 'function') throw new InvalidOptionsError(`handler ${fullName}/${name} must be a function; got ${show(handler)}`);
      if (method.requestStream) throw new InvalidOptionsError(`${method.path} is client-streaming, which SidecarServer does not support; only unary and server-streaming methods`);
      const info: MethodInfo = { name, path: method.path };
      implementation[name] = method.responseStream
        ? this.streamingEntry(info, handler.bind(handlers) as ServerStreamHandler)
        : this.unaryEntry(info, handler.bind(handlers) as UnaryHandler);
    }
    for (const key of Object.keys(handlers)) {
      if (!known.has(key)) throw new InvalidOptionsError(`addService handlers has ${JSON.stringify(key)}, which is not a method of ${fullName} (methods: ${methods.map(([n]) => n).join(', ')})`);
    }
    this.grpc.addService(definition, implementation);
    if (!this.healthNames.includes(fullName)) {
      this.healthNames.push(fullName);
      this.health.setStatus(fullName, 'NOT_SERVING');
    }
    return this;
  }

  /**
   * Registers the health service, starts the fault source (if it has `start()`), binds and
   * starts serving; health turns SERVING once readiness passes. Port 0 picks a free port.
   * Idempotent. @throws BindError when the address cannot be bound.
   */
  start(): Promise<{ port: number }> {
    if (this.starting !== undefined) return this.starting;
    if (this.currentState !== 'idle') return Promise.reject(new InvalidOptionsError(`start() cannot be called on a ${this.currentState} server`));
    this.starting = (async () => {
      this.setState('starting');
      this.health.addTo(this.grpc);
      const store = this.faults as (FaultSource & { start?: () => Promise<void> }) | undefined;
      if (typeof store?.start === 'function') await store.start();
      const address = hostPort(this.host, this.requestedPort);
      let port: number;
      try {
        port = await new Promise<number>((resolve, reject) =>
          this.grpc.bindAsync(address, this.credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
        );
      } catch (error) {
        this.setState('stopped');
        this.readiness.shutdown();
        throw new BindError(address, error);
      }
      this.boundPort = port;
      this.startedAt = new Date().toISOString();
      this.setState('serving');
      const report = await this.readiness.markStarted();
      if (report.ready && this.currentState === 'serving') for (const name of this.healthNames) this.health.setStatus(name, 'SERVING');
      this.logger.info('listening', { host: this.host, port, zone: this.zone, maxConcurrent: this.maxConcurrent, auth: this.authenticator.auth.mode, ready: report.ready });
      return { port };
    })();
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
    const exit = options.exit ?? true;
    const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    this.signalSubscription?.dispose();
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      received += 1;
      if (received > 1) {
        this.logger.warn('second signal while draining; exiting now', { signal, inFlight: this.active });
        if (exit) process.exit(EXIT_CODES[signal] ?? 1);
        void this.shutdown();
        return;
      }
      this.logger.info('signal received; draining', { signal, inFlight: this.active });
      this.drain().then(
        () => {
          if (exit) process.exit(0);
        },
        (error: unknown) => {
          this.logger.error('drain failed', { err: error });
          if (exit) process.exit(1);
        },
      );
    };
    for (const signal of signals) process.on(signal, onSignal);
    const subscription = {
      dispose: () => {
        for (const signal of signals) process.off(signal, onSignal);
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
    const c = this.counts;
    return {
      service: this.service,
      instanceId: this.instanceId,
      zone: this.zone,
      state: this.currentState,
      address: this.boundPort === undefined ? undefined : hostPort(this.host, this.boundPort),
      inFlight: this.active,
      maxConcurrent: this.maxConcurrent,
      served: c.served,
      failed: c.failed,
      shed: c.shed,
      refused: { draining: c.draining, unauthenticated: c.unauthenticated, deadline: c.deadline },
      faults: { delayed: c.delayed, aborted: c.aborted, rules: this.faults?.list() ?? [] },
      readiness: this.readiness.report(),
      health: this.health.statusesSnapshot(),
      startedAt: this.startedAt,
    };
  }

  private async runDrain(): Promise<void> {
    // a serving server stops taking new calls synchronously, before drain() returns
    if (this.currentState !== 'serving' && this.starting !== undefined) await this.starting.catch(() => undefined);
    if (this.currentState !== 'serving') {
      this.finishShutdown();
      return;
    }
    const startedAt = Date.now();
    const remaining = (): number => Math.max(0, this.drainTimeoutMs - (Date.now() - startedAt));
    this.setState('draining');
    this.drainingEmitter.emit();
    this.readiness.markDraining();
    for (const name of this.healthNames) this.health.setStatus(name, 'NOT_SERVING');
    this.logger.info('draining', { inFlight: this.active, drainTimeoutMs: this.drainTimeoutMs });
    if (this.registration !== undefined) {
      try {
        await withTimeout(this.registration.deregister(), remaining());
      } catch (error) {
        this.logger.warn('deregistration failed while draining; continuing', { err: error });
      }
    }
    const idle = await this.waitIdle(remaining());
    if (!idle) this.logger.warn('drain timeout: cancelling in-flight calls', { inFlight: this.active, drainTimeoutMs: this.drainTimeoutMs });
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
    for (const resolve of this.idleWaiters.splice(0)) resolve();
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

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== onIdle);
        resolve(this.active === 0);
      }, timeoutMs);
      timer.unref();
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(this.active === 0);
      };
      this.idleWaiters.push(onIdle);
    });
  }

  private setState(to: ServerState): void {
    const from = this.currentState;
    if (from === to) return;
    this.currentState = to;
    this.stateChanged.emit({ from, to });
  }

  /**
   * Admission: the checks every call passes before its handler. Returns the call context, or
   * undefined after answering the call itself (through `reject`).
   */
  private admit(call: ServerSurfaceCall, method: MethodInfo, started: number, reject: (code: number, details: string, metadata?: Metadata) => void): ServerCallContext | undefined {
    if (this.currentState !== 'serving') {
      this.counts.draining += 1;
      this.refuse(method, started, reject, status.UNAVAILABLE, `draining: instance ${this.instanceId} of ${this.service} is shutting down; retry on another instance`, 'DRAINING');
      return undefined;
    }
    let caller: string;
    try {
      caller = this.authenticator.authenticate(call);
    } catch (error) {
      this.counts.unauthenticated += 1;
      this.metrics.unauthenticated(method.name);
      const details = isUnauthenticatedError(error) ? error.message : 'authentication failed';
      this.refuse(method, started, reject, status.UNAUTHENTICATED, details, 'UNAUTHENTICATED');
      return undefined;
    }
    const rawDeadline = call.getDeadline();
    const deadline = Math.min(typeof rawDeadline === 'number' ? rawDeadline : rawDeadline.getTime(), absoluteDeadline(call.metadata));
    if (deadline !== Infinity && deadline <= Date.now()) {
      this.counts.deadline += 1;
      this.metrics.deadlineRefused(method.name);
      this.refuse(method, started, reject, status.DEADLINE_EXCEEDED, 'deadline already passed when the call arrived; it was not started', 'DEADLINE_EXCEEDED');
      return undefined;
    }
    if (this.active >= this.maxConcurrent) {
      this.counts.shed += 1;
      this.metrics.shed(method.name);
      this.refuse(method, started, reject, status.RESOURCE_EXHAUSTED, `overloaded: ${this.maxConcurrent} calls already in flight on ${this.instanceId}; retry on another instance`, 'BULKHEAD_REJECTED');
      return undefined;
    }
    this.active += 1;
    this.metrics.serverInFlight(1);
    return new ServerCallContext(call, method.name, method.path, deadline, caller, this.logger);
  }

  private refuse(
    method: MethodInfo,
    started: number,
    reject: (code: number, details: string, metadata?: Metadata) => void,
    code: number,
    details: string,
    reason: SidecarErrorCode,
  ): void {
    const metadata = new Metadata();
    metadata.set(MetadataKeys.error, reason);
    reject(code, details, metadata);
    this.metrics.serverCall(method.name, code, (performance.now() - started) / 1000);
    if (this.debug) this.logger.debug('call refused', { method: method.name, code: statusLabel(code), reason });
  }

  /** Applies fault injection; resolves true when the handler should run. */
  private async applyFault(fault: FaultDecision, ctx: ServerCallContext, call: ServerSurfaceCall, reject: (code: number, details: string, metadata?: Metadata) => void): Promise<boolean> {
    if (fault.delayMs > 0) {
      this.counts.delayed += 1;
      this.metrics.faultInjected(ctx.method, 'delay');
      const wait = Math.min(fault.delayMs, ctx.remainingMs());
      await delayUnlessCancelled(wait, call);
      if (call.cancelled) {
        reject(status.CANCELLED, 'cancelled during an injected delay');
        return false;
      }
      if (ctx.deadline <= Date.now()) {
        reject(status.DEADLINE_EXCEEDED, 'deadline passed during an injected delay');
        return false;
      }
    }
    if (fault.abort !== undefined) {
      this.counts.aborted += 1;
      this.metrics.faultInjected(ctx.method, 'abort');
      const metadata = new Metadata();
      metadata.set(MetadataKeys.error, 'INJECTED_FAULT');
      reject(fault.abort.code, fault.abort.message, metadata);
      return false;
    }
    return true;
  }

  private complete(ctx: ServerCallContext, started: number, code: number, error?: unknown): void {
    ctx.finish();
    this.active -= 1;
    this.metrics.serverInFlight(-1);
    const seconds = (performance.now() - started) / 1000;
    this.metrics.serverCall(ctx.method, code, seconds);
    if (this.debug) this.logger.debug('call', { method: ctx.method, code: statusLabel(code), ms: Math.round(seconds * 1e4) / 10, caller: ctx.caller });
    if (error !== undefined) this.logger.error('handler failed', { method: ctx.method, caller: ctx.caller, err: error });
    if (this.active === 0 && this.idleWaiters.length > 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private unaryEntry(method: MethodInfo, handler: UnaryHandler) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      const started = performance.now();
      const reject = (code: number, details: string, metadata?: Metadata): void => callback({ code, details, metadata });
      const ctx = this.admit(call, method, started, reject);
      if (ctx === undefined) return;
      const fault = this.faults === undefined ? undefined : this.faults.decide(this.service, method.name);
      if (fault === undefined) {
        this.runUnary(ctx, call, callback, handler, started);
        return;
      }
      let faultCode: number = status.OK;
      const rejectFault = (code: number, details: string, metadata?: Metadata): void => {
        faultCode = code;
        reject(code, details, metadata);
      };
      this.applyFault(fault, ctx, call, rejectFault).then(
        (proceed) => (proceed ? this.runUnary(ctx, call, callback, handler, started) : this.complete(ctx, started, faultCode)),
        (error: unknown) => {
          reject(status.INTERNAL, INTERNAL_ERROR_DETAILS);
          this.complete(ctx, started, status.INTERNAL, error);
        },
      );
    };
  }

  private runUnary(ctx: ServerCallContext, call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>, handler: UnaryHandler, started: number): void {
    runInCallScope(ctx, () => {
      const onSuccess = (value: unknown): void => {
        this.counts.served += 1;
        // a call cancelled meanwhile (client gone, or deadline answered by grpc-js) is recorded as the client saw it
        const code = call.cancelled ? goneCode(ctx) : status.OK;
        callback(null, value ?? {});
        this.complete(ctx, started, code);
      };
      const onError = (error: unknown): void => {
        this.counts.served += 1;
        this.counts.failed += 1;
        const mapped = mapHandlerError(error);
        const code = call.cancelled ? goneCode(ctx) : mapped.code;
        callback({ code: mapped.code, details: mapped.details, metadata: mapped.metadata });
        this.complete(ctx, started, code, mapped.unexpected ? error : undefined);
      };
      let result: unknown;
      try {
        result = handler(call.request, ctx);
      } catch (error) {
        onError(error);
        return;
      }
      if (isPromiseLike(result)) result.then(onSuccess, onError);
      else onSuccess(result);
    });
  }

  private streamingEntry(method: MethodInfo, handler: ServerStreamHandler) {
    return (call: ServerWritableStream<unknown, unknown>): void => {
      const started = performance.now();
      const reject = (code: number, details: string, metadata?: Metadata): void => {
        call.emit('error', { code, details, metadata });
      };
      const ctx = this.admit(call, method, started, reject);
      if (ctx === undefined) return;
      const fault = this.faults === undefined ? undefined : this.faults.decide(this.service, method.name);
      let faultCode: number = status.OK;
      const rejectFault = (code: number, details: string, metadata?: Metadata): void => {
        faultCode = code;
        reject(code, details, metadata);
      };
      const proceed = fault === undefined ? Promise.resolve(true) : this.applyFault(fault, ctx, call, rejectFault);
      proceed.then(
        (go) => (go ? this.runStreaming(ctx, call, handler, started) : this.complete(ctx, started, faultCode)),
        (error: unknown) => {
          reject(status.INTERNAL, INTERNAL_ERROR_DETAILS);
          this.complete(ctx, started, status.INTERNAL, error);
        },
      );
    };
  }

  private runStreaming(ctx: ServerCallContext, call: ServerWritableStream<unknown, unknown>, handler: ServerStreamHandler, started: number): void {
    const stream: ResponseStream<unknown> = {
      write: (message) =>
        new Promise<void>((resolve, reject) => {
          if (call.cancelled || call.writableEnded) {
            reject(ctx.signal.reason ?? new Error('the call was cancelled'));
            return;
          }
          if (call.write(message)) {
            resolve();
            return;
          }
          const onDrain = (): void => {
            call.off('cancelled', onCancel);
            resolve();
          };
          const onCancel = (): void => {
            call.off('drain', onDrain);
            reject(ctx.signal.reason ?? new Error('the call was cancelled'));
          };
          call.once('drain', onDrain);
          call.once('cancelled', onCancel);
        }),
    };
    runInCallScope(ctx, () => {
      Promise.resolve()
        .then(() => handler(call.request, ctx, stream))
        .then(
          () => {
            this.counts.served += 1;
            if (!call.cancelled) call.end();
            this.complete(ctx, started, call.cancelled ? goneCode(ctx) : status.OK);
          },
          (error: unknown) => {
            this.counts.served += 1;
            this.counts.failed += 1;
            const mapped = mapHandlerError(error);
            if (!call.cancelled) call.emit('error', { code: mapped.code, details: mapped.details, metadata: mapped.metadata });
            this.complete(ctx, started, mapped.code, mapped.unexpected ? error : undefined);
          },
        );
    });
  }
}

/** `host:port`, with IPv6 hosts in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The status a client saw for a call that ended before its handler answered. */
function goneCode(ctx: ServerCallContext): number {
  return ctx.deadline - DEADLINE_SLACK_MS <= Date.now() ? status.DEADLINE_EXCEEDED : status.CANCELLED;
}

function checkRegistration(registration: Deregistration | undefined, name: string): Deregistration | undefined {
  if (registration !== undefined && typeof (registration as Partial<Deregistration> | null)?.deregister !== 'function') {
    throw new InvalidOptionsError(`${name} must have a deregister(): Promise<void> method; got ${show(registration)}`);
  }
  return registration;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** Waits `ms`, or less if the call is cancelled first. */
function delayUnlessCancelled(ms: number, call: ServerSurfaceCall): Promise<void> {
  if (ms <= 0 || call.cancelled) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      call.off('cancelled', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    call.once('cancelled', done);
  });
}

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
