// Compiled (never run) by typed-client.types.spec.ts: each `@ts-expect-error` line must be a type
// error (an unused directive is itself an error), and the spec checks which error it is.
import { Injectable } from '@nestjs/common';
import { defineSidecarClient, InjectSidecarClient, SidecarModule, type SidecarClientOf } from '../../src/nest';
import type { EchoDefinition } from './typed-client.ok';

declare const echoDefinition: EchoDefinition;

export const Misspelt = defineSidecarClient('echo', echoDefinition, {
  // @ts-expect-error a method the definition does not have: would silently disable retries
  idempotentMethods: ['Ecoh'],
});
const EchoClient = defineSidecarClient('echo', echoDefinition, { idempotentMethods: ['Echo'] });

export const Features = SidecarModule.forFeature([
  EchoClient,
  // @ts-expect-error the factory of a registration names a method the client does not have
  { client: EchoClient, useFactory: () => ({ idempotentMethods: ['Relay', 'Ehco'] }) },
]);

@Injectable()
export class UsesEcho {
  constructor(@InjectSidecarClient(EchoClient) private readonly echo: SidecarClientOf<typeof EchoClient>) {}

  async run(): Promise<void> {
    // @ts-expect-error a method the injected client does not have
    await this.echo.Ehco({ message: 'hi' });
    // @ts-expect-error a field the request message does not have
    await this.echo.Echo({ mesage: 'hi' });
  }
}
