import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TopologyAuth } from '@failsoft/local-runtime';
import type { RedisPasswords } from '../secrets';
import type { SharedSettings } from '../topology';

/**
 * The ACL users of every deployment (compose, Kubernetes, `npm start`): ONE file, a template whose
 * `@<NAME>_HASH@` placeholders become the SHA-256 of each password (deploy/redis/entrypoint.sh
 * fills it the same way in the containers).
 */
export const ACL_TEMPLATE = join('deploy', 'redis', 'users.acl');

/** Placeholder of users.acl → the field of {@link RedisPasswords} whose hash replaces it. */
const PLACEHOLDERS: Readonly<Record<string, keyof RedisPasswords>> = {
  ADMIN: 'admin',
  REPLICATION: 'replication',
  MONITOR: 'monitor',
  UPLOAD: 'upload',
  LIKES: 'likes',
  FEED: 'feed',
  GATEWAY: 'gateway',
};

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The ACL file Redis loads, from the text of the users.acl template: comments and blank lines
 * dropped, every `@X_HASH@` replaced by the hash of its password (never the password itself).
 * @throws Error naming a placeholder it does not know (the template and this code disagree).
 */
export function renderAclFile(template: string, passwords: RedisPasswords): string {
  const lines = template.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const text = lines.join('\n').replace(/@([A-Z_]+)_HASH@/g, (_, name: string) => {
    const field = PLACEHOLDERS[name];
    if (!field) throw new Error(`${ACL_TEMPLATE} has the placeholder @${name}_HASH@, which the local platform does not know; known: ${Object.keys(PLACEHOLDERS).join(', ')}`);
    return sha256(passwords[field]);
  });
  return `${text}\n`;
}

/** Writes the rendered ACL file of `workspace`'s template to `target` (mode 0600) and returns `target`. */
export function writeAclFile(workspace: string, target: string, passwords: RedisPasswords): string {
  const text = renderAclFile(readFileSync(join(workspace, ACL_TEMPLATE), 'utf8'), passwords);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, target);
  return target;
}

/** The runtime's {@link TopologyAuth} for an ACL file rendered from `passwords` (same users as compose). */
export function topologyAuth(aclFile: string, passwords: RedisPasswords): TopologyAuth {
  return {
    aclFile,
    adminPassword: passwords.admin,
    replicationUser: 'replication',
    replicationPassword: passwords.replication,
    monitorUser: 'sentinel',
    monitorPassword: passwords.monitor,
    sentinelPassword: passwords.sentinel,
  };
}

/** How the CLI authenticates to the local Redis: as `default` on the data nodes, with requirepass on the sentinels. */
export interface RedisClientAuth {
  /** redisCommand options for a data node. */
  readonly data: { readonly password?: string };
  /** redisCommand options for a sentinel. */
  readonly sentinel: { readonly password?: string };
}

/** The {@link RedisClientAuth} of `passwords` (none: no authentication, e.g. an older run's Redis). */
export function redisClientAuth(passwords: RedisPasswords | undefined): RedisClientAuth {
  return passwords ? { data: { password: passwords.admin }, sentinel: { password: passwords.sentinel } } : { data: {}, sentinel: {} };
}

/** The services' Redis credentials for {@link SharedSettings.redisAuth} (each service its own user). */
export function serviceRedisAuth(passwords: RedisPasswords): NonNullable<SharedSettings['redisAuth']> {
  return {
    sentinelPassword: passwords.sentinel,
    servicePasswords: { upload: passwords.upload, likes: passwords.likes, feed: passwords.feed, gateway: passwords.gateway },
  };
}
