import type { BootstrapOptions } from '@failsoft/sidecar/nest';
import { AppModule } from './app.module';
import { gatewayEnvSchema } from './gateway.config';

/**
 * How the gateway boots (used by main.ts, and by specs with their own environment): validate the
 * environment (exit 78 naming every bad variable), build the root module, listen on
 * BIND_HOST:HTTP_PORT.
 */
export function gatewayBootstrapOptions(env?: NodeJS.ProcessEnv): BootstrapOptions<typeof gatewayEnvSchema> {
  return {
    service: 'gateway',
    schema: gatewayEnvSchema,
    module: (config) => AppModule.forRoot(config),
    listen: (config) => ({ port: config.HTTP_PORT, host: config.BIND_HOST }),
    env,
  };
}
