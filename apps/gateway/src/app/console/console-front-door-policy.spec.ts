import type { ControlInstance } from '@failsoft/contracts';
import { ApiError } from '../errors/api-error';
import { lastFrontDoorCheck } from './console-action-policy.service';

const door = (id: string, state: string, role: ControlInstance['role']): ControlInstance => ({ id, service: 'haproxy', state, pid: 1, zone: null, url: null, restarts: 0, ready: null, role });
const gateway: ControlInstance = { id: 'gateway-1', service: 'gateway', state: 'running', pid: 2, zone: 'zone-a', url: null, restarts: 0, ready: true };

describe('the console never stops the last running front door', () => {
  it('allows stopping one front door while the other runs (either role)', () => {
    expect(() => lastFrontDoorCheck('front-door-1', { instances: [door('front-door-1', 'running', 'MASTER'), door('front-door-2', 'running', 'BACKUP'), gateway] })).not.toThrow();
    expect(() => lastFrontDoorCheck('haproxy-2', { instances: [door('haproxy-1', 'running', 'active'), door('haproxy-2', 'running', 'active')] })).not.toThrow();
  });

  it('refuses with 409 LAST_FRONT_DOOR when the other is held, paused or absent (a gateway does not count)', () => {
    for (const other of [door('haproxy-2', 'held', 'unknown'), door('haproxy-2', 'paused', 'unknown')]) {
      let thrown: unknown;
      try {
        lastFrontDoorCheck('haproxy-1', { instances: [door('haproxy-1', 'running', 'active'), other, gateway] });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ApiError);
      expect(thrown).toMatchObject({ status: 409, code: 'LAST_FRONT_DOOR', message: expect.stringMatching(/haproxy-1 is the last running front door/) });
    }
    expect(() => lastFrontDoorCheck('front-door-1', { instances: [door('front-door-1', 'running', 'MASTER'), gateway] })).toThrow(/last running front door/);
  });
});
