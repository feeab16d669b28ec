import type { ServiceInstance } from '../core/instance';
import { selectCandidates } from './select-candidates';

const inst = (id: string): ServiceInstance => ({ id, service: 'svc', address: `${id}.test:1`, zone: '', weight: 1, metadata: {} });
const ids = (list: readonly ServiceInstance[]) => list.map((i) => i.id);

describe('selectCandidates', () => {
  const view = [inst('a'), inst('b'), inst('c')];
  const none = () => false;

  it('returns the view itself (no allocation) when nothing is excluded', () => {
    expect(selectCandidates(view, none, [])).toBe(view);
    expect(selectCandidates(view)).toBe(view);
    expect(selectCandidates(view, undefined, ['not-in-view'])).toBe(view);
  });

  it('leaves out ejected and already tried instances', () => {
    expect(ids(selectCandidates(view, (id) => id === 'b', []))).toEqual(['a', 'c']);
    expect(ids(selectCandidates(view, none, ['a']))).toEqual(['b', 'c']);
    expect(ids(selectCandidates(view, (id) => id === 'c', ['a']))).toEqual(['b']);
  });

  it('falls back to tried instances when every healthy one was tried', () => {
    expect(ids(selectCandidates(view, (id) => id === 'c', ['a', 'b']))).toEqual(['a', 'b']);
    expect(selectCandidates(view, none, ['a', 'b', 'c'])).toBe(view);
    expect(selectCandidates(view, undefined, ['c', 'b', 'a'])).toBe(view);
  });

  it('never returns an ejected instance: empty when all are ejected', () => {
    expect(selectCandidates(view, () => true, [])).toEqual([]);
    expect(selectCandidates(view, () => true, ['a'])).toEqual([]);
    expect(selectCandidates([], none, ['a'])).toEqual([]);
  });

  it('does not modify the view', () => {
    const copy = [...view];
    selectCandidates(view, (id) => id === 'a', ['b']);
    expect(view).toEqual(copy);
  });
});
