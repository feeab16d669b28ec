import 'reflect-metadata';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { isConfigError, readEnvConfig, type EnvConfig, type EnvField } from '../config/env-config';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, show } from '../core/validate';
import type { Sidecar } from '../sidecar';
import { HttpDrain } from './http-drain';
import { createPinoLogger } from '../telemetry/pino-logger';
import { startTracing, type TracingHandle } from '../telemetry/otel/tracing-sdk';
import type { Logger as PinoLogger } from 'pino';
import { JsonNestLogger } from './json-nest.logger';
import { SIDECAR } from './sidecar.constants';

/** How a service drains on SIGTERM / SIGINT (see {@link bootstrapService}). */
export interface BootstrapDrainOptions {
  /**
   * How long the service keeps serving after it reports not ready, ms (default 2000): long enough
   * for a load balancer polling `/readyz` to take it out of rotation (the local front door checks
   * every 500 ms and needs 2 failures) and for callers to see it leave discovery.
   */
  readonly graceMs?: number;
  /** Longest wait for the HTTP requests in flight once it stops accepting connections, ms (default 7000). */
  readonly timeoutMs?: number;
  /** Signals that start the drain (default SIGTERM and SIGINT); a second one exits at once. */
  readonly signals?: readonly NodeJS.Signals[];
}

/** Options of `bootstrapService`. */
export interface BootstrapOptions<S extends Record<string, EnvField<unknown>>> {
  /** Service name used in messages, e.g. `likes`. */
  service: string;
  /** Environment schema validated before anything starts. */
  schema: S;
  /** Builds the root module from the validated config. */
  module: (config: EnvConfig<S>) => Type<unknown> | DynamicModule;
  /** Port and host to listen on, taken from the config. */
  listen: (config: EnvConfig<S>) => { port: number; host: string };
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Graceful drain settings (defaults: 2 s grace, 7 s for in-flight requests). */
  drain?: BootstrapDrainOptions;
}

/** Default of {@link BootstrapDrainOptions.graceMs}. */
export const DEFAULT_DRAIN_GRACE_MS = 2000;
/** Default of {@link BootstrapDrainOptions.timeoutMs}. */
export const DEFAULT_HTTP_DRAIN_TIMEOUT_MS = 7000;

const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGQUIT: 131, SIGTERM: 143 };

/**
 * Validates the environment, then starts a Nest app that drains gracefully on SIGTERM / SIGINT.
 * On bad configuration prints every bad variable and exits with code 78 (EX_CONFIG),
 * so supervisors do not restart-loop on a config error silently.
 *
 * The drain, in this order (Nest's own shutdown hooks would close the sidecar's clients while the
 * HTTP server still serves, so they are not used):
 * 1. not ready: `/readyz` answers 503 and the instance leaves discovery (`sidecar.beginDrain()`);
 *    every response from now on closes its connection;
 * 2. `graceMs` of normal service, so load balancers and callers stop sending;
 * 3. the HTTP server stops accepting connections and waits for the requests in flight
 *    (at most `timeoutMs`, then cuts them);
 * 4. `app.close()`: the sidecar drains its gRPC server, then closes clients, discovery and Redis;
 * 5. exit 0 (1 when closing failed). A second signal exits at once.
 *
 * Calling `app.close()` yourself closes at once (Nest's order) and removes the signal handlers.
 * @throws InvalidOptionsError on bad `drain` options.
 */
export async function bootstrapService<S extends Record<string, EnvField<unknown>>>(options: BootstrapOptions<S>): Promise<INestApplication> {
  const drainOptions = checkDrainOptions(options.drain);
  let config: EnvConfig<S>;
  try {
    config = readEnvConfig(options.schema, options.env ?? process.env);
  } catch (error) {
    if (isConfigError(error)) {
      process.stderr.write(`${options.service}: ${error.message}\nFix the variables above and start again.\n`);
      process.exit(78);
    }
    throw error;
  }
  const source = options.env ?? process.env;
  const instance = source['INSTANCE_ID'] || `${options.service}-${process.pid}`;
  const zone = source['ZONE'] || undefined;
  const logLevel = source['LOG_LEVEL'] as 'debug' | 'info' | 'warn' | 'error' | undefined;
  const format = source['LOG_FORMAT'] === 'json' || source['LOG_FORMAT'] === 'pretty' ? source['LOG_FORMAT'] : 'auto';
  const pino = createPinoLogger({ service: options.service, instance, zone, level: logLevel, format });
  const tracing = startTracing({ service: options.service, instance, zone, env: source, logger: pinoAsLogger(pino) });
  const app = await NestFactory.create(options.module(config), { logger: new JsonNestLogger(pino) });
  installGracefulDrain(app, pino, drainOptions, tracing);
  const { port, host } = options.listen(config);
  await app.listen(port, host);
  const url = await app.getUrl();
  pino.info({ url, tracing: tracing !== undefined }, 'listening');
  return app;
}

/** The sidecar Logger interface over pino (for the OpenTelemetry SDK's own warnings). */
function pinoAsLogger(pino: PinoLogger): import('../telemetry/logger').Logger {
  const wrap = (p: PinoLogger): import('../telemetry/logger').Logger => ({
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
    isLevelEnabled: (level) => p.isLevelEnabled(level),
  });
  return wrap(pino);
}

function checkDrainOptions(drain: BootstrapDrainOptions | undefined): Required<BootstrapDrainOptions> {
  if (drain !== undefined && (typeof drain !== 'object' || drain === null)) throw new InvalidOptionsError(`bootstrap drain must be an object; got ${show(drain)}`);
  const signals = drain?.signals ?? ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(signals) || signals.length === 0 || signals.some((s) => typeof s !== 'string' || !s.startsWith('SIG'))) {
    throw new InvalidOptionsError(`bootstrap drain.signals must be a non-empty list of signal names (e.g. ["SIGTERM"]); got ${show(signals)}`);
  }
  return {
    graceMs: assertNumber('bootstrap drain.graceMs', drain?.graceMs ?? DEFAULT_DRAIN_GRACE_MS, 0, 600_000),
    timeoutMs: assertNumber('bootstrap drain.timeoutMs', drain?.timeoutMs ?? DEFAULT_HTTP_DRAIN_TIMEOUT_MS, 0, 600_000),
    signals,
  };
}

function installGracefulDrain(app: INestApplication, pino: PinoLogger, options: Required<BootstrapDrainOptions>, tracing: TracingHandle | undefined): void {
  const log: Log = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void => pino[level](fields, msg);
  const server = app.getHttpServer() as Server;
  const http = new HttpDrain(server);
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received > 1) {
      log('warn', 'second signal while draining; exiting now', { signal, inFlight: http.inFlight });
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    drainAndClose(app, log, http, options, signal)
      .then(() => tracing?.shutdown())
      .then(
      () => process.exit(0),
      (error: unknown) => {
        log('error', 'drain failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exit(1);
      },
    );
  };
  for (const signal of options.signals) process.on(signal, onSignal);
  // app.close() called by its owner (a test) closes the HTTP server: the handlers go with it;
  // after a signal they stay until the exit, so that a second signal exits at once
  server.once('close', () => {
    if (received === 0) {
      for (const signal of options.signals) process.off(signal, onSignal);
      void tracing?.shutdown();
    }
  });
}

type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

async function drainAndClose(app: INestApplication, log: Log, http: HttpDrain, options: Required<BootstrapDrainOptions>, signal: NodeJS.Signals): Promise<void> {
  const startedAt = Date.now();
  const sidecar = findSidecar(app);
  log('info', 'signal received; draining', { signal, inFlight: http.inFlight, graceMs: options.graceMs, timeoutMs: options.timeoutMs });
  http.beginDrain();
  await sidecar?.beginDrain(); // /readyz 503, out of discovery; everything still serves
  await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, options.graceMs - (Date.now() - startedAt))));
  const result = await http.close(options.timeoutMs);
  const level = result.graceful ? 'info' : 'warn';
  log(level, result.graceful ? 'http drained' : 'http drain timeout: cut the requests left', { ...result });
  await app.close(); // now the sidecar drains its gRPC server and closes clients, discovery, Redis
  log('info', 'drained', { ms: Date.now() - startedAt });
}

function findSidecar(app: INestApplication): Sidecar | undefined {
  try {
    return app.get<Sidecar>(SIDECAR, { strict: false });
  } catch {
    return undefined; // an app without SidecarModule: no readiness or discovery to update
  }
}
