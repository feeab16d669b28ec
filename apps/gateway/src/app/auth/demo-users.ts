/**
 * The demo users who may sign in. Failsoft is a resilience demo, not an identity provider: three
 * fixed users share one password (`DEMO_PASSWORD`, default `failsoft`).
 */
export const DEMO_USERS = Object.freeze(['alice', 'bob', 'carol'] as const);

/** A demo user id. */
export type DemoUser = (typeof DEMO_USERS)[number];

/** True when `user` is one of the demo users. */
export function isDemoUser(user: unknown): user is DemoUser {
  return typeof user === 'string' && (DEMO_USERS as readonly string[]).includes(user);
}
