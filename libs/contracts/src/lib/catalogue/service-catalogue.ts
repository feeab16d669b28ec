import { FEED_SERVICE, LIKES_SERVICE, PROTO_FILES, UPLOAD_SERVICE, type ContractServiceName } from '../service-names';

/**
 * What each port of a service is for: `grpc` services serve their contract on GRPC_PORT (and
 * /livez, /readyz on HTTP_PORT); the `public-http` service serves the public API on HTTP_PORT and
 * sits behind the front door.
 */
export type PortRole = 'grpc' | 'public-http';

/** One service of the platform, as every deployment (npm start, compose, Kubernetes) runs it. */
export interface CatalogueEntry {
  /** Service name: also the Nx project, the compose/Kubernetes app name and the instance id prefix (`likes-1`). */
  readonly name: string;
  /** What its ports are for. */
  readonly portRole: PortRole;
  /** The fully-qualified gRPC service it serves (`failsoft.likes.v1.LikesService`); undefined for HTTP-only services. */
  readonly grpcService?: ContractServiceName;
  /** Its `.proto` file, relative to the proto root; undefined for HTTP-only services. */
  readonly proto?: string;
  /**
   * The name its readiness is checked under: the gRPC health service name (`grpc.health.v1`
   * Check) for gRPC services, the HTTP path (`/readyz`) for the public one.
   */
  readonly healthName: string;
  /** Instances every deployment runs (the design says 2). */
  readonly instances: number;
  /** Variables it needs beyond the common ones (GRPC_PORT comes with the `grpc` role). */
  readonly extraEnv: readonly string[];
}

/** A gRPC service of the platform. */
function grpcService<N extends string>(name: N, grpc: ContractServiceName): CatalogueEntry & { readonly name: N; readonly portRole: 'grpc' } {
  return { name, portRole: 'grpc', grpcService: grpc, proto: PROTO_FILES[grpc], healthName: grpc, instances: 2, extraEnv: [] };
}

/**
 * THE list of the platform's services, written once: the local platform's topology (apps/cli),
 * the compose and Kubernetes checks (apps/deploy-e2e), the console (apps/gateway) and the chaos
 * commands read it. A new service is one entry here (see docs/extending.md).
 */
export const SERVICE_CATALOGUE = Object.freeze([
  grpcService('upload', UPLOAD_SERVICE),
  grpcService('likes', LIKES_SERVICE),
  grpcService('feed', FEED_SERVICE),
  { name: 'gateway', portRole: 'public-http', healthName: '/readyz', instances: 2, extraEnv: ['AUTH_SECRET', 'OPERATOR_PASSWORD', 'PUBLIC_HOSTS'] } as const,
] satisfies readonly CatalogueEntry[]);

/** A service name of the platform (`upload`, `likes`, `feed`, `gateway`). */
export type PlatformServiceName = (typeof SERVICE_CATALOGUE)[number]['name'];

/** A service that serves gRPC (`upload`, `likes`, `feed`). */
export type GrpcServiceName = Extract<(typeof SERVICE_CATALOGUE)[number], { portRole: 'grpc' }>['name'];

/** The service names, in catalogue order. */
export const PLATFORM_SERVICE_NAMES: readonly PlatformServiceName[] = Object.freeze(SERVICE_CATALOGUE.map((s) => s.name));

/** The services that serve gRPC (what faults target, what the gateway calls). */
export const GRPC_SERVICE_NAMES: readonly GrpcServiceName[] = Object.freeze(SERVICE_CATALOGUE.filter((s): s is Extract<typeof s, { portRole: 'grpc' }> => s.portRole === 'grpc').map((s) => s.name));

/** True when `name` is a service of the platform. */
export function isPlatformServiceName(name: unknown): name is PlatformServiceName {
  return typeof name === 'string' && (PLATFORM_SERVICE_NAMES as readonly string[]).includes(name);
}

/** The catalogue entry of `name`. @throws RangeError naming the services. */
export function catalogueEntry(name: string): CatalogueEntry {
  const found = SERVICE_CATALOGUE.find((s) => s.name === name);
  if (!found) throw new RangeError(`unknown service ${JSON.stringify(name)}; the services are ${PLATFORM_SERVICE_NAMES.join(', ')}`);
  return found;
}
