import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIGN_IN_FAIL_KEY_PREFIX } from './auth/sign-in-throttle.service';
import { REVOKED_TOKEN_KEY_PREFIX } from './auth/token-revocation.service';
import { LAST_GOOD_REDIS_PREFIX } from './feed/last-good-feed.cache';
import { RATE_LIMIT_ATTEMPTS_PREFIX, RATE_LIMIT_KEY_PREFIX } from './rate-limit/rate-limiter.service';

/**
 * The gateway's Redis user (deploy/redis/users.acl, the one ACL file of npm start, compose and k8s)
 * must be allowed to WRITE every key the gateway writes: a key it may not write fails with NOPERM,
 * and the limiters and the revocation list fall back to this process' memory without a word (the
 * per-request attempt counts of the honest-retries limiter did, until this spec).
 */
const WRITTEN_PREFIXES = { RATE_LIMIT_KEY_PREFIX, RATE_LIMIT_ATTEMPTS_PREFIX, SIGN_IN_FAIL_KEY_PREFIX, REVOKED_TOKEN_KEY_PREFIX, LAST_GOOD_REDIS_PREFIX };
const ACL_FILES = ['deploy/redis/users.acl', 'deploy/k8s/base/redis/config/users.acl'];
const workspace = join(__dirname, '..', '..', '..', '..');

/** Read-write key patterns (`~pattern`, not `%R~` read-only) of one user line of an ACL file. */
function writablePatterns(acl: string, user: string): string[] {
  const line = acl.split('\n').find((l) => l.startsWith(`user ${user} `));
  if (!line) throw new Error(`no "user ${user}" line in the ACL file`);
  return line.split(/\s+/).filter((t) => t.startsWith('~')).map((t) => t.slice(1));
}

/** Redis' glob for key patterns, enough for the `*` and `{tag}` used in users.acl. */
function globMatches(pattern: string, key: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(key);
}

/** The prefixes whose keys no writable pattern of `user` covers. */
function uncovered(acl: string, user: string, prefixes: Record<string, string>): string[] {
  const patterns = writablePatterns(acl, user);
  return Object.entries(prefixes).filter(([, prefix]) => !patterns.some((p) => globMatches(p, `${prefix}alice:some-id`))).map(([name, prefix]) => `${name} (${prefix}*)`);
}

describe('the gateway Redis user (users.acl)', () => {
  it.each(ACL_FILES)('%s lets it write every key prefix the gateway writes', (file) => {
    const acl = readFileSync(join(workspace, file), 'utf8');
    expect(uncovered(acl, 'gateway', WRITTEN_PREFIXES)).toEqual([]);
  });

  it('control: a user line without the attempts pattern is caught, and a read-only pattern does not count', () => {
    const acl = 'user gateway on #x -@all +@all ~failsoft:ratelimit:* %R~failsoft:revoked-token:*\n';
    expect(uncovered(acl, 'gateway', { RATE_LIMIT_KEY_PREFIX, RATE_LIMIT_ATTEMPTS_PREFIX, REVOKED_TOKEN_KEY_PREFIX })).toEqual([
      `RATE_LIMIT_ATTEMPTS_PREFIX (${RATE_LIMIT_ATTEMPTS_PREFIX}*)`,
      `REVOKED_TOKEN_KEY_PREFIX (${REVOKED_TOKEN_KEY_PREFIX}*)`,
    ]);
  });
});
