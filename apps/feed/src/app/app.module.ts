import { Module } from '@nestjs/common';
import { LivenessController } from '@failsoft/sidecar/nest';

/** Root module of the feed service. */
@Module({ controllers: [LivenessController] })
export class AppModule {}
