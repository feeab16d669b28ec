import { Module } from '@nestjs/common';
import { LivenessController } from '@failsoft/sidecar/nest';

/** Root module of the likes service. */
@Module({ controllers: [LivenessController] })
export class AppModule {}
