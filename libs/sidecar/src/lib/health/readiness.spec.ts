import { isInvalidOptionsError } from '../core/sidecar.error';
import { Readiness } from './readiness';

describe('Readiness', () => {
  const instances: Readiness[] = [];
  const make = (options?: ConstructorParameters<typeof Readiness>[0]): Readiness => {
    const readiness = new Readiness(options);
    instances.push(readiness);
    return readiness;
  };

  afterEach(() => {
    for (const r of instances.splice(0)) r.shutdown();
    jest.useRealTimers();
  });

  it('is not ready before start, ready after start when every check passes', async () => {
    const readiness = make();
    readiness.addCheck('redis', () => true);
    expect(readiness.report()).toMatchObject({ ready: false, started: false, failing: ['started', 'redis'] });
    const report = await readiness.markStarted();
    expect(report).toMatchObject({ ready: true, started: true, draining: false, failing: [], checks: { redis: { ok: true } } });
  });

  it('names failing checks: false, thrown, rejected and timed out', async () => {
    const readiness = make({ checkTimeoutMs: 20 });
    readiness.addCheck('ok', async () => true);
    readiness.addCheck('false', () => false);
    readiness.addCheck('throws', () => {
      throw new Error('no route to host');
    });
    readiness.addCheck('rejects', () => Promise.reject(new Error('connection refused')));
    readiness.addCheck('hangs', () => new Promise<boolean>(() => undefined));
    const report = await readiness.markStarted();
    expect(report.ready).toBe(false);
    expect(report.failing).toEqual(['false', 'throws', 'rejects', 'hangs']);
    expect(report.checks).toEqual({
      ok: { ok: true },
      false: { ok: false, error: 'check "false" returned false' },
      throws: { ok: false, error: 'no route to host' },
      rejects: { ok: false, error: 'connection refused' },
      hangs: { ok: false, error: 'timed out after 20 ms' },
    });
  });

  it('is not ready while draining, whatever the checks say, and tells listeners', async () => {
    const readiness = make();
    const seen: boolean[] = [];
    readiness.onChange((report) => seen.push(report.ready));
    await readiness.markStarted();
    readiness.markDraining();
    expect(readiness.ready).toBe(false);
    expect(readiness.report().failing).toEqual(['draining']);
    expect(seen).toEqual([true, false]);
  });

  it('re-evaluates checks periodically and flips readiness both ways', async () => {
    jest.useFakeTimers();
    let redisUp = true;
    const readiness = make({ intervalMs: 1000 });
    readiness.addCheck('redis', () => redisUp);
    const seen: boolean[] = [];
    readiness.onChange((report) => seen.push(report.ready));
    await readiness.markStarted();
    redisUp = false;
    await jest.advanceTimersByTimeAsync(999);
    expect(readiness.ready).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(readiness.ready).toBe(false);
    expect(readiness.report().failing).toEqual(['redis']);
    redisUp = true;
    await jest.advanceTimersByTimeAsync(1000);
    expect(readiness.ready).toBe(true);
    expect(seen).toEqual([true, false, true]);
  });

  it('drops a check when its registration is disposed', async () => {
    const readiness = make();
    const registration = readiness.addCheck('flaky', () => false);
    await readiness.markStarted();
    expect(readiness.ready).toBe(false);
    registration.dispose();
    expect(readiness.ready).toBe(true);
  });

  it('rejects bad options and duplicate checks', () => {
    expect(() => make({ intervalMs: 0 })).toThrow('readiness.intervalMs must be an integer >= 10; got 0');
    const readiness = make();
    readiness.addCheck('redis', () => true);
    let error: unknown;
    try {
      readiness.addCheck('redis', () => true);
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe('readiness check "redis" is already registered');
    expect(() => readiness.addCheck('x', 'yes' as never)).toThrow('readiness check "x" must be a function; got "yes"');
  });
});
