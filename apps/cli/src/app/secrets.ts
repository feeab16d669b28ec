import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Secrets of the local platform, generated once and reused so restarts keep user tokens valid. */
export interface PlatformSecrets {
  /** FAILSOFT_TOKEN: authenticates internal gRPC calls (16+ characters). */
  failsoftToken: string;
  /** AUTH_SECRET: signs user session tokens at the gateway (32+ characters). */
  authSecret: string;
  /** OPERATOR_PASSWORD: the password of the `operator` user, the only one allowed console actions (16+ characters). */
  operatorPassword: string;
  /** Passwords of the local Redis's ACL users (deploy/redis/users.acl) and of its sentinels. */
  redis: RedisPasswords;
}

/**
 * The Redis passwords of the local platform: the same users and environment variables as docker
 * compose (REDIS_ADMIN_PASSWORD, ... in deploy/redis/entrypoint.sh), 16+ characters of [A-Za-z0-9_-].
 */
export interface RedisPasswords {
  /** The data nodes' `default` user: the CLI itself (chaos, status, the runtime's checks). */
  admin: string;
  /** User `replication`: the replicas to their master (masteruser/masterauth). */
  replication: string;
  /** User `sentinel`: the sentinels to the data nodes (sentinel auth-user/auth-pass). */
  monitor: string;
  /** The sentinels' `requirepass` (services, the CLI and the sentinels among themselves). */
  sentinel: string;
  /** The services' own users (REDIS_USERNAME = the service name). */
  upload: string;
  likes: string;
  feed: string;
  gateway: string;
}

/** The fields of {@link RedisPasswords}. */
export const REDIS_PASSWORD_NAMES = ['admin', 'replication', 'monitor', 'sentinel', 'upload', 'likes', 'feed', 'gateway'] as const;

const newPassword = (): string => randomBytes(18).toString('base64url');
const goodPassword = (value: unknown): value is string => typeof value === 'string' && value.length >= 16 && /^[A-Za-z0-9_.-]+$/.test(value);

/** The Redis passwords of `stored`, each invalid or missing one replaced by a fresh one; `changed` says whether any was. */
function redisPasswords(stored: unknown): { passwords: RedisPasswords; changed: boolean } {
  const old = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  let changed = false;
  const entries = REDIS_PASSWORD_NAMES.map((name) => {
    const value = old[name];
    if (goodPassword(value)) return [name, value];
    changed = true;
    return [name, newPassword()];
  });
  return { passwords: Object.fromEntries(entries) as RedisPasswords, changed };
}

/** The user name that goes with {@link PlatformSecrets.operatorPassword}. */
export const OPERATOR_USER = 'operator';

const newOperatorPassword = (): string => randomBytes(18).toString('base64url');

function generate(): PlatformSecrets {
  return { failsoftToken: randomBytes(24).toString('base64url'), authSecret: randomBytes(48).toString('base64url'), operatorPassword: newOperatorPassword(), redis: redisPasswords(undefined).passwords };
}

function valid(value: unknown): value is Omit<PlatformSecrets, 'operatorPassword' | 'redis'> & { operatorPassword?: unknown; redis?: unknown } {
  const v = value as Partial<PlatformSecrets> | null;
  return !!v && typeof v.failsoftToken === 'string' && v.failsoftToken.length >= 16 && typeof v.authSecret === 'string' && v.authSecret.length >= 32;
}

function write(file: string, secrets: PlatformSecrets): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * Reads `file` (mode 0600), or creates it with fresh random secrets when it is missing or invalid.
 * A file of an older version without an operator password or Redis passwords gets them added (the others are kept).
 * @returns the secrets, whether the file was created now, and whether the operator password is new
 *   (then `failsoft up` prints it, once).
 */
export function loadOrCreateSecrets(file: string): { secrets: PlatformSecrets; created: boolean; newOperatorPassword: boolean } {
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (valid(parsed)) {
        const kept = typeof parsed.operatorPassword === 'string' && parsed.operatorPassword.length >= 16 ? parsed.operatorPassword : undefined;
        const redis = redisPasswords(parsed.redis);
        const secrets = { failsoftToken: parsed.failsoftToken, authSecret: parsed.authSecret, operatorPassword: kept ?? newOperatorPassword(), redis: redis.passwords };
        if (kept === undefined || redis.changed) write(file, secrets);
        chmodSync(file, 0o600);
        return { secrets, created: false, newOperatorPassword: kept === undefined };
      }
    } catch {
      // regenerate below
    }
  }
  const secrets = generate();
  write(file, secrets);
  return { secrets, created: true, newOperatorPassword: true };
}

/**
 * The Redis passwords of a platform's secrets file, for the commands that talk to its Redis
 * (`failsoft status`); undefined when the file is missing, unreadable or has none (an older run).
 */
export function readRedisPasswords(file: string): RedisPasswords | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { redis?: unknown };
    const stored = (parsed.redis ?? {}) as Record<string, unknown>;
    return REDIS_PASSWORD_NAMES.every((name) => goodPassword(stored[name])) ? (stored as unknown as RedisPasswords) : undefined;
  } catch {
    return undefined;
  }
}

/** The lines `failsoft up` prints when it made a new operator password (the only time it is shown). */
export function operatorPasswordNotice(password: string, file: string): string {
  return [
    `[operator] console actions (kill, revive, failover, faults) need the user "${OPERATOR_USER}"; its password, shown this once:`,
    `[operator]   ${password}`,
    `[operator] (kept in ${file}, mode 0600; delete that file to make new secrets)`,
  ].join('\n');
}
