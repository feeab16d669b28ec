import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import { DnsResolver, type DnsResolverOptions } from './dns.resolver';
import { RedisResolver, type RedisResolverOptions } from './redis.resolver';
import { isResolver, type Resolver } from './resolver';
import { StaticResolver, type StaticResolverOptions } from './static.resolver';

/** The built-in resolver kinds. */
export const RESOLVER_KINDS = ['redis', 'dns', 'static'] as const;

/** Options of `createResolver`: one built-in kind, or a ready Resolver object (pluggable). */
export type ResolverOptions =
  | ({ readonly kind: 'redis' } & RedisResolverOptions)
  | ({ readonly kind: 'dns' } & DnsResolverOptions)
  | ({ readonly kind: 'static' } & StaticResolverOptions)
  | Resolver;

/**
 * Builds a resolver: `{ kind: 'redis' | 'dns' | 'static', ... }`, or returns a user-supplied
 * Resolver as it is. Call `start()` on the result.
 * @throws InvalidOptionsError for an unknown kind or bad options (naming option and value).
 */
export function createResolver(options: ResolverOptions): Resolver {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError(`resolver options must be an object with a kind (${kinds()}) or a Resolver; got ${show(options)}`);
  }
  if (!('kind' in options) && isResolver(options)) return options;
  const kind = (options as { kind?: unknown }).kind;
  switch (kind) {
    case 'redis':
      return new RedisResolver(options as RedisResolverOptions);
    case 'dns':
      return new DnsResolver(options as DnsResolverOptions);
    case 'static':
      return new StaticResolver(options as StaticResolverOptions);
    default:
      throw new InvalidOptionsError(`resolver.kind must be one of ${kinds()} (or pass a Resolver object); got ${show(kind)}`);
  }
}

function kinds(): string {
  return RESOLVER_KINDS.map((k) => JSON.stringify(k)).join(', ');
}
