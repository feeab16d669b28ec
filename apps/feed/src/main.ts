import { bootstrapService } from '@failsoft/sidecar/nest';
import { AppModule } from './app/app.module';
import { feedEnvSchema } from './app/feed.config';

void bootstrapService({
  service: 'feed',
  schema: feedEnvSchema,
  module: (config) => AppModule.forRoot(config),
  listen: (config) => ({ port: config.HTTP_PORT, host: config.BIND_HOST }),
});
