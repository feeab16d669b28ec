import { StartSteps, type StartStep } from './start-steps';

/** Steps that record what ran and what was undone. */
function recorder(): { log: string[]; step: (name: string, options?: { fail?: boolean; noUndo?: boolean }) => StartStep } {
  const log: string[] = [];
  return {
    log,
    step: (name, options = {}) => ({
      name,
      run: async () => {
        log.push(`run ${name}`);
        if (options.fail) throw new Error(`${name} failed`);
      },
      undo: options.noUndo ? undefined : async () => void log.push(`undo ${name}`),
    }),
  };
}

describe('StartSteps', () => {
  it('runs the steps in order and undoes them last first', async () => {
    const { log, step } = recorder();
    const steps = new StartSteps(() => false, () => undefined);
    expect(await steps.run([step('redis'), step('plan', { noUndo: true }), step('services')])).toBe(true);
    await steps.undo();
    expect(log).toEqual(['run redis', 'run plan', 'run services', 'undo services', 'undo redis']);
  });

  it('on a failure mid-start undoes the failed step and the done ones in reverse, never the later ones', async () => {
    const { log, step } = recorder();
    const steps = new StartSteps(() => false, () => undefined);
    await expect(steps.run([step('redis'), step('control'), step('front door', { fail: true }), step('services')])).rejects.toThrow('front door failed');
    await steps.undo();
    expect(log).toEqual(['run redis', 'run control', 'run front door', 'undo front door', 'undo control', 'undo redis']);
  });

  it('stops before the next step once cancelled, and undoes each step once however often undo is called', async () => {
    const { log, step } = recorder();
    let cancelled = false;
    const steps = new StartSteps(() => cancelled, () => undefined);
    const cancelling: StartStep = { name: 'cancel', run: () => void (cancelled = true) };
    expect(await steps.run([step('redis'), cancelling, step('services')])).toBe(false);
    await Promise.all([steps.undo(), steps.undo()]);
    await steps.undo();
    expect(log).toEqual(['run redis', 'undo redis']);
  });

  it('reports a failing undo and still undoes the others', async () => {
    const { log, step } = recorder();
    const failures: string[] = [];
    const steps = new StartSteps(() => false, (name, error) => failures.push(`${name}: ${error.message}`));
    const broken: StartStep = { name: 'front door', run: () => undefined, undo: () => Promise.reject(new Error('haproxy is gone')) };
    await steps.run([step('redis'), broken, step('services')]);
    await steps.undo();
    expect(log).toEqual(['run redis', 'run services', 'undo services', 'undo redis']);
    expect(failures).toEqual(['front door: haproxy is gone']);
  });
});
