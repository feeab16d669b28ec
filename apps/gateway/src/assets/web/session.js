// The signed-in user: a token from POST /api/auth/sign-in, kept in sessionStorage (per tab,
// gone when the tab closes).

import { api } from './api.js';

const KEY = 'failsoft.session';

/**
 * The current session, or null when signed out or expired.
 * @returns {{ user: string, token: string, expiresAt: string } | null}
 */
export function currentSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    if (!session || typeof session.token !== 'string' || typeof session.user !== 'string') return null;
    if (Date.parse(session.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

/**
 * Signs in and remembers the session.
 * @param {string} user
 * @param {string} password
 * @throws {import('./api.js').ApiError} with the server's message (e.g. wrong password)
 */
export async function signIn(user, password) {
  const body = await api('/api/auth/sign-in', { method: 'POST', json: { user, password } });
  const session = { user: body.user, token: body.token, expiresAt: body.expiresAt };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/**
 * Forgets the session; with `revoke` (the user clicked "Sign out") also asks the server to revoke
 * the token on every gateway (best effort: the token is forgotten here either way).
 * @param {{ revoke?: boolean }} [options]
 */
export function signOut(options = {}) {
  const session = currentSession();
  sessionStorage.removeItem(KEY);
  if (options.revoke && session) void api('/api/auth/sign-out', { method: 'POST', token: session.token, timeoutMs: 5000 }).catch(() => undefined);
}
