import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidRuntimeOptionsError, show } from './local-runtime.error';

/**
 * Authentication of a Sentinel topology (Redis ACL users): every data node loads `aclFile`, the
 * replicas authenticate to their master as `replicationUser`, the sentinels to the data nodes as
 * `monitorUser` and among themselves with `sentinelPassword` (their `requirepass`). The runtime
 * itself talks to the data nodes as their `default` user (`adminPassword`), so `aclFile` must
 * define `default` with that password and the two users with theirs (deploy/redis/users.acl does).
 */
export interface TopologyAuth {
  /** ACL file (`--aclfile`) every data node loads. */
  readonly aclFile: string;
  /** Password of the data nodes' `default` user. */
  readonly adminPassword: string;
  /** The replicas' user on their master (`masteruser`). */
  readonly replicationUser: string;
  /** Its password (`masterauth`). */
  readonly replicationPassword: string;
  /** The sentinels' user on the data nodes (`sentinel auth-user`). */
  readonly monitorUser: string;
  /** Its password (`sentinel auth-pass`). */
  readonly monitorPassword: string;
  /** The sentinels' own password (`requirepass`). */
  readonly sentinelPassword: string;
}

const FIELDS = ['aclFile', 'adminPassword', 'replicationUser', 'replicationPassword', 'monitorUser', 'monitorPassword', 'sentinelPassword'] as const;

/** Checks `auth` (undefined: no authentication); throws naming the bad field (never showing a password). */
export function validateTopologyAuth(auth: unknown): TopologyAuth | undefined {
  if (auth === undefined) return undefined;
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) throw new InvalidRuntimeOptionsError(`topology.auth must be an object; got ${show(auth)}`);
  const a = auth as Record<string, unknown>;
  for (const field of FIELDS) {
    const value = a[field];
    if (typeof value !== 'string' || value === '' || /[\s"']/.test(value)) {
      const what = field.endsWith('Password') ? `${typeof value === 'string' ? `${value.length} characters` : typeof value}` : show(value);
      throw new InvalidRuntimeOptionsError(`topology.auth.${field} must be a non-empty string without spaces or quotes; got ${what}`);
    }
  }
  return a as unknown as TopologyAuth;
}

/** The `redis-server` arguments of a data node of an authenticated topology. */
export function dataNodeAuthArgs(auth: TopologyAuth | undefined): string[] {
  return auth ? ['--aclfile', auth.aclFile, '--masteruser', auth.replicationUser, '--masterauth', auth.replicationPassword] : [];
}

/** The sentinel config lines of an authenticated topology (after `sentinel monitor`). */
export function sentinelAuthLines(auth: TopologyAuth | undefined, masterName: string): string[] {
  return auth ? [`requirepass ${auth.sentinelPassword}`, `sentinel auth-user ${masterName} ${auth.monitorUser}`, `sentinel auth-pass ${masterName} ${auth.monitorPassword}`] : [];
}

/**
 * The ACL users an authenticated topology needs, least privilege, with `auth`'s passwords in clear
 * (`>password`): `default` (everything: the runtime's own), the replication user (PSYNC, REPLCONF,
 * PING) and the sentinels' user (what Sentinel runs on a data node). Services' users are not
 * included: deploy/redis/users.acl has the platform's full list.
 */
export function topologyAclLines(auth: TopologyAuth): string[] {
  return [
    `user default on >${auth.adminPassword} ~* &* +@all`,
    `user ${auth.replicationUser} on >${auth.replicationPassword} resetchannels -@all +psync +replconf +ping`,
    `user ${auth.monitorUser} on >${auth.monitorPassword} resetchannels &__sentinel__:* -@all +multi +exec +slaveof +replicaof +ping +subscribe +publish +config|rewrite +role +info +client|setname +client|kill +script|kill`,
  ];
}

/** Writes `auth.aclFile` with {@link topologyAclLines} (for tests and tools that start an authenticated topology). */
export function writeTopologyAcl(auth: TopologyAuth): void {
  writeFileSync(auth.aclFile, `${topologyAclLines(auth).join('\n')}\n`, { mode: 0o600 });
}

/**
 * Settings of an authenticated topology for TESTS (fixed, public passwords; never for a deployment):
 * users `replication` and `sentinel`, the ACL written to `dir/users.acl`. Pass to
 * `startSentinelTopology({ auth })`; clients use `adminPassword` / `sentinelPassword`.
 */
export function testTopologyAuth(dir: string): TopologyAuth {
  const auth: TopologyAuth = {
    aclFile: join(dir, 'users.acl'),
    adminPassword: 'admin-password-0123456789',
    replicationUser: 'replication',
    replicationPassword: 'replication-password-0123',
    monitorUser: 'sentinel',
    monitorPassword: 'monitor-password-012345678',
    sentinelPassword: 'sentinel-password-01234567',
  };
  writeTopologyAcl(auth);
  return auth;
}
