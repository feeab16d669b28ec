import type { ServiceInstance } from '../core/instance';

/** Tells whether an instance is currently ejected by outlier detection. */
export type EjectedPredicate = (instanceId: string) => boolean;

/**
 * The instances a call attempt may use, from the resolver's `view`:
 * 1. not ejected and not already `tried` by this call;
 * 2. if that is empty: not ejected (a retry may go back to a tried instance);
 * 3. if still empty: empty (the caller raises NO_HEALTHY_INSTANCE).
 *
 * Returns `view` itself (no allocation) when nothing is excluded; allocates one array only when
 * an instance has to be left out. The result must be treated as read-only.
 */
export function selectCandidates(
  view: readonly ServiceInstance[],
  isEjected?: EjectedPredicate,
  tried?: readonly string[],
): readonly ServiceInstance[] {
  const n = view.length;
  const anyTried = tried !== undefined && tried.length > 0;
  if (n === 0 || (isEjected === undefined && !anyTried)) return view;
  let first = -1;
  for (let i = 0; i < n; i++) {
    const id = view[i].id;
    if ((isEjected !== undefined && isEjected(id)) || (anyTried && tried.includes(id))) {
      first = i;
      break;
    }
  }
  if (first === -1) return view;
  const fresh = view.slice(0, first);
  for (let i = first + 1; i < n; i++) {
    const id = view[i].id;
    if ((isEjected === undefined || !isEjected(id)) && !(anyTried && tried.includes(id))) fresh.push(view[i]);
  }
  if (fresh.length > 0 || !anyTried) return fresh;
  if (isEjected === undefined) return view; // everything was tried and nothing is ejected
  const healthy: ServiceInstance[] = [];
  for (let i = 0; i < n; i++) if (!isEjected(view[i].id)) healthy.push(view[i]);
  return healthy.length === n ? view : healthy;
}
