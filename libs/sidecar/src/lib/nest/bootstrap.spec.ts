import { Module } from '@nestjs/common';
import { env } from '../config/env-config';
import { InvalidOptionsError } from '../core/sidecar.error';
import { bootstrapService, type BootstrapDrainOptions } from './bootstrap';

@Module({})
class EmptyModule {}

function start(drain: unknown): Promise<unknown> {
  return bootstrapService({
    service: 'spec',
    schema: { HTTP_PORT: env.port({ default: 0 }) },
    module: () => EmptyModule,
    listen: (config) => ({ port: config.HTTP_PORT, host: '127.0.0.1' }),
    env: {},
    drain: drain as BootstrapDrainOptions,
  });
}

describe('bootstrapService drain options', () => {
  it.each([
    [{ graceMs: -1 }, /bootstrap drain.graceMs must be a number from 0 to 600000; got -1/],
    [{ timeoutMs: 'soon' }, /bootstrap drain.timeoutMs must be a number from 0 to 600000; got "soon"/],
    [{ signals: [] }, /bootstrap drain.signals must be a non-empty list of signal names .*got \[\]/],
    [{ signals: ['TERM'] }, /bootstrap drain.signals .*got \["TERM"\]/],
    ['fast', /bootstrap drain must be an object; got "fast"/],
  ])('rejects %j before starting anything', async (drain, message) => {
    const listeners = process.listenerCount('SIGTERM');
    await expect(start(drain)).rejects.toThrow(InvalidOptionsError);
    await expect(start(drain)).rejects.toThrow(message);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });

  it('installs its SIGTERM handler with the app and removes it when the app is closed', async () => {
    const before = process.listenerCount('SIGTERM');
    const app = (await start({ graceMs: 0 })) as { close(): Promise<void>; getUrl(): Promise<string> };
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    const res = await fetch(`${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/nothing`);
    expect(res.status).toBe(404);
    await app.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
