// Compiled (never run) by typed-client.types.spec.ts: correct uses of a typed definition, which
// must type-check without a single diagnostic.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { Injectable } from '@nestjs/common';
import type { EchoReply, EchoRequest } from '../fixtures/load-echo';
import { defineSidecarClient, InjectSidecarClient, SidecarModule, type SidecarClientOf } from '../../src/nest';

/** What proto-loader-gen-types writes for the Echo service. */
export interface EchoDefinition extends ServiceDefinition {
  Echo: MethodDefinition<EchoRequest, EchoReply, EchoRequest, EchoReply>;
  Relay: MethodDefinition<EchoRequest, EchoReply, EchoRequest, EchoReply>;
}
declare const echoDefinition: EchoDefinition;
declare const untypedDefinition: ServiceDefinition;

export const EchoClient = defineSidecarClient('echo', echoDefinition, { idempotentMethods: ['Echo', 'Relay'], retry: { maxAttempts: 3 } });
export const AllIdempotent = defineSidecarClient('echo-all', echoDefinition, { idempotentMethods: '*' });
/** Without generated types any name is accepted: nothing to check it against. */
export const Untyped = defineSidecarClient('untyped', untypedDefinition, { idempotentMethods: ['Anything'] });

@Injectable()
export class UsesEcho {
  constructor(@InjectSidecarClient(EchoClient) private readonly echo: SidecarClientOf<typeof EchoClient>) {}

  async run(): Promise<string> {
    const reply = await this.echo.Echo({ message: 'hi', delayMs: 1 });
    return reply.message + reply.instanceId;
  }
}

/** forFeature: definitions as they are, and registrations whose factory names the client's own RPCs (each entry typed by its client). */
export const Features = SidecarModule.forFeature([
  EchoClient,
  { client: AllIdempotent, useFactory: () => ({ idempotentMethods: ['Relay'], resolver: { kind: 'static', service: 'echo-all', addresses: ['127.0.0.1:1'] } }) },
  { client: EchoClient, useFactory: async (retries: number) => ({ idempotentMethods: '*', retry: { maxAttempts: retries } }), inject: ['RETRIES'] },
  { client: Untyped, useFactory: () => ({ idempotentMethods: ['Anything'] }) },
]);
