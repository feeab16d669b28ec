import { bootstrapService } from '@failsoft/sidecar/nest';
import { AppModule } from './app/app.module';
import { gatewayEnvSchema } from './app/gateway.config';

void bootstrapService({
  service: 'gateway',
  schema: gatewayEnvSchema,
  module: () => AppModule,
  listen: (config) => ({ port: config.HTTP_PORT, host: config.BIND_HOST }),
});
