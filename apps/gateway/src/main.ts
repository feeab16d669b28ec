import { bootstrapService } from '@failsoft/sidecar/nest';
import { gatewayBootstrapOptions } from './app/gateway.bootstrap';

void bootstrapService(gatewayBootstrapOptions());
