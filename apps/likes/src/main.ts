import { bootstrapService } from '@failsoft/sidecar/nest';
import { AppModule } from './app/app.module';
import { likesEnvSchema } from './app/likes.config';

void bootstrapService({
  service: 'likes',
  schema: likesEnvSchema,
  module: (config) => AppModule.forRoot(config),
  listen: (config) => ({ port: config.HTTP_PORT, host: config.BIND_HOST }),
});
