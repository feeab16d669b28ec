import { bootstrapService } from '@failsoft/sidecar/nest';
import { AppModule } from './app/app.module';
import { uploadEnvSchema } from './app/upload.config';

void bootstrapService({
  service: 'upload',
  schema: uploadEnvSchema,
  module: (config) => AppModule.forRoot(config),
  listen: (config) => ({ port: config.HTTP_PORT, host: config.BIND_HOST }),
});
