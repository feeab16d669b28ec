import { PLATFORM_SERVICE_NAMES, SERVICE_CATALOGUE, type PlatformServiceName } from '@failsoft/contracts';

/**
 * THE definition of the local platform (`failsoft up`): which services run (the service catalogue
 * of @failsoft/contracts), how many instances of each, and the environment of every instance. It
 * is plain data plus pure functions so other deployments (docker compose, Kubernetes) can be
 * checked against it: `failsoft topology --json` prints it, and `platformTopology()` returns it.
 */

/** The services of the platform, from the catalogue of @failsoft/contracts (no start order is required: they discover each other). */
export const SERVICE_NAMES: readonly PlatformServiceName[] = PLATFORM_SERVICE_NAMES;

/** A service name. */
export type ServiceName = PlatformServiceName;

/** How one service is run. */
export interface ServiceDefinition {
  /** Service name (also the Nx project name). */
  readonly name: ServiceName;
  /** Instances to run (the design says 2; any N works). */
  readonly instances: number;
  /** Serves gRPC on GRPC_PORT (upload, likes, feed); the gateway serves only HTTP. */
  readonly grpc: boolean;
  /** Serves the public HTTP API and sits behind the front door. */
  readonly public: boolean;
  /** Environment variable names the service reads (validated by the service at start). */
  readonly env: readonly string[];
  /** The built entry point, relative to the workspace root. */
  readonly main: string;
}

/** Variables every service reads (same names in npm start, compose and Kubernetes). */
export const COMMON_ENV = [
  'HTTP_PORT',
  'BIND_HOST',
  'ADVERTISE_HOST',
  'INSTANCE_ID',
  'ZONE',
  'REDIS_SENTINELS',
  'REDIS_MASTER_NAME',
  'FAILSOFT_TOKEN',
  'LOG_LEVEL',
  // the service's own Redis ACL user (deploy/redis/users.acl: REDIS_USERNAME is the service name) and the sentinels' password
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
] as const;

/** Built entry point of a service, relative to the workspace root (see tools/build.mjs). */
export function serviceMain(service: string): string {
  return `dist/apps/${service}/apps/${service}/src/main.js`;
}

/** The services of the local platform, one per entry of the service catalogue. */
export const SERVICES: readonly ServiceDefinition[] = SERVICE_CATALOGUE.map((s) => ({
  name: s.name,
  instances: s.instances,
  grpc: s.portRole === 'grpc',
  public: s.portRole === 'public-http',
  env: [...COMMON_ENV, ...(s.portRole === 'grpc' ? ['GRPC_PORT'] : []), ...s.extraEnv],
  main: serviceMain(s.name),
}));

/** An optional variable that only the local platform sets (see {@link LOCAL_ONLY_ENV}). */
export interface LocalOnlyVariable {
  readonly name: string;
  /** Why only `failsoft up` sets it, and what the service does without it. */
  readonly reason: string;
}

/**
 * Optional variables that only `failsoft up` sets, by service, with the reason. They are not part
 * of {@link ServiceDefinition.env} (the names every deployment sets): docker compose and Kubernetes
 * leave them unset and the service runs without them. apps/deploy-e2e checks that no other
 * deployment sets them; the platform adds them when it spawns the instances.
 */
export const LOCAL_ONLY_ENV: Readonly<Partial<Record<ServiceName, readonly LocalOnlyVariable[]>>> = {
  gateway: [
    {
      name: 'FAILSOFT_CONTROL_URL',
      reason: "the control channel of `failsoft up` (loopback HTTP), which the console's buttons go through; without it (compose, Kubernetes) the console is read-only and says why",
    },
    { name: 'FAILSOFT_CONTROL_TOKEN', reason: 'the bearer token of that control channel, a fresh secret per `failsoft up`' },
  ],
};

/**
 * Optional variables that only containerised deployments set, by service, with the reason: the
 * memory limit a container runs under (Kubernetes passes its `limits.memory`; docker compose may
 * set it beside `mem_limit`). The local platform runs its instances without a memory limit and
 * leaves them unset; the service then uses its fixed defaults. apps/deploy-e2e checks that
 * Kubernetes sets exactly these on top of {@link ServiceDefinition.env}.
 */
export const CONTAINER_ONLY_ENV: Readonly<Partial<Record<ServiceName, readonly LocalOnlyVariable[]>>> = {
  upload: [{ name: 'MEMORY_LIMIT_BYTES', reason: 'the container memory limit, from which the gRPC calls served at once are derived; unset, the fixed default applies' }],
  gateway: [
    { name: 'MEMORY_LIMIT_BYTES', reason: 'the container memory limit, from which the uploads buffered at once are derived; unset, the fixed default applies' },
    { name: 'ADMIN_PORT', reason: 'the admin port (/readyz, /metrics, /snapshot) that no Service or Ingress exposes; unset, they stay on HTTP_PORT, behind the front door that answers 404 for them' },
  ],
};

/** Redis behind Sentinel, demo-tuned (docs/design.md: 1 master + 2 replicas, 3 sentinels, quorum 2). */
export const REDIS = {
  masterName: 'failsoft',
  replicas: 2,
  sentinels: 3,
  quorum: 2,
  /**
   * Sentinel `down-after-milliseconds`: a dead master is noticed after about 2 s. Not lower: a
   * sentinel pings at most every second and starts that clock anew on a switch of master, so at
   * 1 s a freshly promoted master that answers its first ping a little late (a loaded machine) is
   * taken for dead too, and the second failover that follows can lose acknowledged writes (seen
   * by apps/platform-e2e: 39 acknowledged likes lost in one run of ten).
   */
  downAfterMs: 2000,
  failoverTimeoutMs: 3000,
  /**
   * Memory cap of every data node, and what happens at the cap: `noeviction` refuses writes
   * (services answer them as storage unavailable) and never drops acknowledged data, where the
   * default (no cap) lets uploads grow Redis until the machine runs out (docs/security.md).
   */
  maxmemory: '512mb',
  maxmemoryPolicy: 'noeviction',
} as const;

/** The front door: one URL over the gateways, served by an existing proxy (HAProxy). */
export const FRONT_DOOR = {
  /** Default port (`FRONT_DOOR_PORT` / `--front-door-port`). */
  defaultPort: 8080,
  /** Which service sits behind it. */
  backend: 'gateway' as ServiceName,
  /** Health check the proxy runs against each gateway. */
  healthPath: '/readyz',
  checkIntervalMs: 500,
  fall: 2,
  rise: 2,
} as const;

/** Loopback: the local platform never listens on other interfaces. */
export const LOCAL_HOST = '127.0.0.1';

/** Default number of zones instances are spread over. */
export const DEFAULT_ZONES = 2;

/** Zone names: zone-a, zone-b, ... */
export function zoneNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 26) throw new RangeError(`zones must be an integer from 1 to 26; got ${count}`);
  return Array.from({ length: count }, (_, i) => `zone-${String.fromCharCode(97 + i)}`);
}

/** One instance as planned before ports are known. */
export interface InstanceIdentity {
  /** e.g. `likes-1` (1-based). */
  readonly id: string;
  readonly service: ServiceName;
  /** 1-based index within its service. */
  readonly index: number;
  /** Zone it claims (alternating zone-a, zone-b, ...). */
  readonly zone: string;
}

/** Every instance of the platform with its id and zone (instances alternate over the zones). */
export function instanceIdentities(zones = DEFAULT_ZONES, services: readonly ServiceDefinition[] = SERVICES): InstanceIdentity[] {
  const names = zoneNames(zones);
  return services.flatMap((service) =>
    Array.from({ length: service.instances }, (_, i) => ({
      id: `${service.name}-${i + 1}`,
      service: service.name,
      index: i + 1,
      zone: names[i % names.length],
    })),
  );
}

/** What is shared by every instance's environment. */
export interface SharedSettings {
  /** Sentinel addresses. */
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** Master name the sentinels monitor (default REDIS.masterName). */
  readonly masterName?: string;
  /** Shared internal token (16+ characters). */
  readonly failsoftToken: string;
  /** Gateway token-signing secret (32+ characters). */
  readonly authSecret: string;
  /** Password of the gateway's `operator` user (16+ characters; empty: no operator can sign in). */
  readonly operatorPassword?: string;
  /** LOG_LEVEL of every service (default info). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * The Redis credentials (the same as compose's): each service's own ACL user, named after the
   * service, with its password (REDIS_USERNAME, REDIS_PASSWORD), and the sentinels' password
   * (REDIS_SENTINEL_PASSWORD). Unset: the three variables are left out (a Redis without passwords).
   */
  readonly redisAuth?: { readonly sentinelPassword: string; readonly servicePasswords: Readonly<Record<ServiceName, string>> };
}

/** Ports of one instance. */
export interface InstancePorts {
  readonly httpPort: number;
  /** Only for gRPC services. */
  readonly grpcPort?: number;
}

/** A fully planned instance: identity, ports and the exact environment it is started with. */
export interface InstancePlan extends InstanceIdentity, InstancePorts {
  /** `http://127.0.0.1:<httpPort>` */
  readonly url: string;
  /** Entry point relative to the workspace. */
  readonly main: string;
  /** The variables of the service (only those; the parent's environment is added when spawning). */
  readonly env: Readonly<Record<string, string>>;
}

/** The service definition of `name`. */
export function serviceDefinition(name: string, services: readonly ServiceDefinition[] = SERVICES): ServiceDefinition {
  const found = services.find((s) => s.name === name);
  if (!found) throw new RangeError(`unknown service ${JSON.stringify(name)}; services are ${services.map((s) => s.name).join(', ')}`);
  return found;
}

/** The environment of one instance (pure: same inputs, same env). */
export function instanceEnv(instance: InstanceIdentity, ports: InstancePorts, shared: SharedSettings, services: readonly ServiceDefinition[] = SERVICES): Record<string, string> {
  const service = serviceDefinition(instance.service, services);
  const all: Record<string, string> = {
    HTTP_PORT: String(ports.httpPort),
    BIND_HOST: LOCAL_HOST,
    ADVERTISE_HOST: LOCAL_HOST,
    INSTANCE_ID: instance.id,
    ZONE: instance.zone,
    REDIS_SENTINELS: shared.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_MASTER_NAME: shared.masterName ?? REDIS.masterName,
    FAILSOFT_TOKEN: shared.failsoftToken,
    LOG_LEVEL: shared.logLevel ?? 'info',
  };
  if (service.grpc) {
    if (ports.grpcPort === undefined) throw new RangeError(`${instance.id} is a gRPC service and needs a grpcPort`);
    all['GRPC_PORT'] = String(ports.grpcPort);
  }
  if (shared.redisAuth) {
    all['REDIS_USERNAME'] = service.name;
    all['REDIS_PASSWORD'] = shared.redisAuth.servicePasswords[service.name];
    all['REDIS_SENTINEL_PASSWORD'] = shared.redisAuth.sentinelPassword;
  }
  if (service.env.includes('AUTH_SECRET')) all['AUTH_SECRET'] = shared.authSecret;
  if (service.env.includes('OPERATOR_PASSWORD')) all['OPERATOR_PASSWORD'] = shared.operatorPassword ?? '';
  // only 127.0.0.1, localhost and [::1] (the gateway's defaults): a page of another name that resolves here is refused
  if (service.env.includes('PUBLIC_HOSTS')) all['PUBLIC_HOSTS'] = '';
  // only the variables the service declares
  return Object.fromEntries(service.env.filter((name) => name in all).map((name) => [name, all[name]]));
}

/** Options of {@link planInstances}. */
export interface PlanOptions {
  /** Number of zones (default 2). */
  zones?: number;
  /** Returns a free port; called once per port needed (e.g. getFreePort from @failsoft/local-runtime). */
  freePort: () => Promise<number>;
  /** Service definitions (default SERVICES). */
  services?: readonly ServiceDefinition[];
}

/** Plans every instance: identity, free ports and environment. */
export async function planInstances(shared: SharedSettings, options: PlanOptions): Promise<InstancePlan[]> {
  const services = options.services ?? SERVICES;
  const plans: InstancePlan[] = [];
  for (const identity of instanceIdentities(options.zones ?? DEFAULT_ZONES, services)) {
    const service = serviceDefinition(identity.service, services);
    const httpPort = await options.freePort();
    const grpcPort = service.grpc ? await options.freePort() : undefined;
    const ports: InstancePorts = grpcPort === undefined ? { httpPort } : { httpPort, grpcPort };
    plans.push({
      ...identity,
      ...ports,
      url: `http://${LOCAL_HOST}:${httpPort}`,
      main: service.main,
      env: instanceEnv(identity, ports, shared, services),
    });
  }
  return plans;
}

/** The topology as plain data (for `failsoft topology --json` and for checking other deployments). */
export function platformTopology(zones = DEFAULT_ZONES): {
  services: ServiceDefinition[];
  instances: InstanceIdentity[];
  redis: typeof REDIS;
  frontDoor: typeof FRONT_DOOR;
  zones: string[];
} {
  return {
    services: SERVICES.map((s) => ({ ...s, env: [...s.env] })),
    instances: instanceIdentities(zones),
    redis: REDIS,
    frontDoor: FRONT_DOOR,
    zones: zoneNames(zones),
  };
}
