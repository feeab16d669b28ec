export { type Resolver, isResolver, EMPTY_VIEW } from './resolver';
export { RefreshingResolver } from './refreshing.resolver';
export { RedisRegistry, type RedisRegistryOptions, type Registration, type RegistryErrorEvent, type RegisterEvent, type RegistryEvent, type RegistryKeys, registryKeys, DEFAULT_REGISTRY_PREFIX } from './redis.registry';
export { RedisResolver, type RedisResolverOptions } from './redis.resolver';
export { DnsResolver, type DnsResolverOptions, type LookupAddress, type SrvTarget } from './dns.resolver';
export { StaticResolver, type StaticResolverOptions } from './static.resolver';
export { createResolver, type ResolverOptions, RESOLVER_KINDS } from './create-resolver';
export { DiscoveryError, isDiscoveryError } from './discovery.error';
export { type HostPort, parseAddress, formatAddress, assertAddress, assertServiceName, toServiceInstance, sameView } from './service-instance';
