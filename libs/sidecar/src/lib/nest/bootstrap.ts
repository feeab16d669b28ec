import 'reflect-metadata';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { isConfigError, readEnvConfig, type EnvConfig, type EnvField } from '../config/env-config';

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
}

/**
 * Validates the environment, then starts a Nest app with shutdown hooks enabled.
 * On bad configuration prints every bad variable and exits with code 78 (EX_CONFIG),
 * so supervisors do not restart-loop on a config error silently.
 */
export async function bootstrapService<S extends Record<string, EnvField<unknown>>>(options: BootstrapOptions<S>): Promise<INestApplication> {
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
  const app = await NestFactory.create(options.module(config), { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  const { port, host } = options.listen(config);
  await app.listen(port, host);
  const url = await app.getUrl();
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', service: options.service, msg: 'listening', url })}\n`);
  return app;
}
