import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeRun, requireTool, run } from './tools';

/** A service of the resolved compose file (what `docker-compose config` prints). */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  cap_add?: string[];
  cap_drop?: string[];
  read_only?: boolean;
  command?: string[] | string;
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[] | string; disable?: boolean; interval?: string; timeout?: string; retries?: number; start_period?: string };
  restart?: string;
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: Array<string | { type: string; source?: string; target: string; read_only?: boolean }>;
  ports?: Array<string | { target: number; published?: number | string }>;
  [key: string]: unknown;
}

/** The resolved compose file. */
export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The secrets docker-compose.yml requires (no defaults), as deploy/docker/secrets.sh writes them to .env. */
export const COMPOSE_SECRETS = [
  'FAILSOFT_TOKEN',
  'AUTH_SECRET',
  'OPERATOR_PASSWORD',
  'FAILSOFT_CONTROL_TOKEN',
  'REDIS_ADMIN_PASSWORD',
  'REDIS_REPLICATION_PASSWORD',
  'REDIS_MONITOR_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'REDIS_UPLOAD_PASSWORD',
  'REDIS_LIKES_PASSWORD',
  'REDIS_FEED_PASSWORD',
  'REDIS_GATEWAY_PASSWORD',
] as const;

/**
 * An empty env file for `docker-compose --env-file` (v1 refuses /dev/null): a developer's .env
 * (`npm run compose:secrets`) never changes what is checked.
 */
export function emptyEnvFile(): string {
  const file = join(tmpdir(), `deploy-e2e-empty-${process.pid}.env`);
  if (!existsSync(file)) writeFileSync(file, '');
  return file;
}

/** A distinct test value for every secret (`<name>-test-value-0123456789`, long enough for every check). */
export function testSecrets(): Record<string, string> {
  return Object.fromEntries(COMPOSE_SECRETS.map((name) => [name, `${name.toLowerCase().replace(/_/g, '-')}-test-value-0123456789`]));
}

/** Environment without the variables the compose file interpolates, so defaults are what is checked. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [...COMPOSE_SECRETS, 'LOG_LEVEL', 'FRONT_DOOR_PORT', 'COMPOSE_FILE', 'COMPOSE_PROJECT_NAME', 'FAILSOFT_NODE_IMAGE', 'FAILSOFT_REDIS_IMAGE', 'FAILSOFT_HAPROXY_IMAGE', 'FAILSOFT_SUBNET_PREFIX']) delete env[name];
  return { ...env, ...extra };
}

/** `docker-compose -f docker-compose.yml config`, parsed (anchors merged, variables interpolated). */
export function composeConfig(extraEnv: Record<string, string> = {}): ComposeConfig {
  const bin = requireTool('docker-compose');
  const result = run(bin, ['--env-file', emptyEnvFile(), '-f', 'docker-compose.yml', 'config'], { env: cleanEnv({ ...testSecrets(), ...extraEnv }) });
  if (result.status !== 0) throw new Error(describeRun('docker-compose config', result));
  return parse(result.stdout) as ComposeConfig;
}

/** The command of a service as an argv array. */
export function commandOf(service: ComposeService): string[] {
  if (service.command === undefined) return [];
  return Array.isArray(service.command) ? service.command : service.command.split(/\s+/).filter(Boolean);
}

/** depends_on as { name: condition }. */
export function dependsOn(service: ComposeService): Record<string, string> {
  const deps = service.depends_on;
  if (!deps) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, value]) => [name, value?.condition ?? 'service_started']));
}

/** Kinds of services of the platform, recognised by image, build and command (`front-door`: HAProxy + keepalived; `vip-relay`: the TCP relay publishing the VIP; `certs`: the one-shot certificate job). */
export type ServiceRole = 'redis' | 'sentinel' | 'app' | 'certs' | 'front-door' | 'vip-relay' | 'unknown';

/** What a compose service is. */
export function roleOf(service: ComposeService): ServiceRole {
  const command = commandOf(service);
  if (service.image?.startsWith('redis:')) {
    if (command.includes('sentinel') || command.includes('--sentinel')) return 'sentinel';
    return 'redis';
  }
  if (/(^|\/)deploy\/keepalived\/?$/.test(service.build?.context ?? '')) return 'front-door';
  if (service.image?.startsWith('haproxy:')) return 'vip-relay';
  if (command[0] === 'node' && command[1] === 'deploy/certs/generate-certs.mjs') return 'certs';
  if (command[0] === 'node' && /^dist\/apps\/[^/]+\/apps\/[^/]+\/src\/main\.js$/.test(command[1] ?? '')) return 'app';
  return 'unknown';
}

/** The app a service runs (`likes` for `node dist/apps/likes/apps/likes/src/main.js`). */
export function appOf(service: ComposeService): string | undefined {
  return /^dist\/apps\/([^/]+)\/apps\/\1\/src\/main\.js$/.exec(commandOf(service)[1] ?? '')?.[1];
}

/** A volume mount, whichever syntax the resolved file uses (Compose 1 prints the short one). */
export interface Mount {
  type: 'bind' | 'volume' | string;
  source?: string;
  target: string;
  readOnly: boolean;
}

/** The mounts of a service. */
export function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') return { type: volume.type, source: volume.source, target: volume.target, readOnly: volume.read_only === true };
    const [source, target, mode] = volume.split(':');
    if (target === undefined) return { type: 'volume', target: source, readOnly: false };
    return { type: /^[./~]/.test(source) ? 'bind' : 'volume', source, target, readOnly: (mode ?? '').split(',').includes('ro') };
  });
}

/** Published ports as `published:target` strings, whichever syntax the resolved file uses. */
export function portsOf(service: ComposeService | undefined): string[] {
  return (service?.ports ?? []).map((p) => (typeof p === 'string' ? p.replace(/^0\.0\.0\.0:/, '').replace(/\/tcp$/, '') : `${p.published}:${p.target}`));
}
