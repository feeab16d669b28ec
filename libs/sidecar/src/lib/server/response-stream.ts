import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ServerCallContext } from './handler-context';
import type { ResponseStream } from './handler.types';

/** The {@link ResponseStream} of a server-streaming call: writes respect backpressure and reject once cancelled. */
export function responseStream(call: ServerWritableStream<unknown, unknown>, ctx: ServerCallContext): ResponseStream<unknown> {
  const gone = (): unknown => ctx.signal.reason ?? new Error('the call was cancelled');
  return {
    write: (message) =>
      new Promise<void>((resolve, reject) => {
        if (call.cancelled || call.writableEnded) {
          reject(gone());
          return;
        }
        if (call.write(message)) {
          resolve();
          return;
        }
        const onDrain = (): void => {
          call.off('cancelled', onCancel);
          resolve();
        };
        const onCancel = (): void => {
          call.off('drain', onDrain);
          reject(gone());
        };
        call.once('drain', onDrain);
        call.once('cancelled', onCancel);
      }),
  };
}
