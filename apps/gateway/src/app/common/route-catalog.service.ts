import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';

/** One route the app serves. */
export interface RouteEntry {
  /** HTTP method, upper case (`GET`, `POST` ...). */
  readonly method: string;
  /** Path in Nest syntax, e.g. `/api/posts/:id/likes`. */
  readonly path: string;
  /** The same path in OpenAPI syntax, e.g. `/api/posts/{id}/likes`. */
  readonly openApiPath: string;
}

/**
 * Every route of every controller of the app, read from Nest's own routing metadata (so it
 * cannot drift from what is served). Used to answer 405 with `Allow` for a known path with the
 * wrong method, and by the spec checking that the OpenAPI document covers every route.
 */
@Injectable()
export class RouteCatalogService {
  private cached?: { routes: RouteEntry[]; matchers: Array<{ route: RouteEntry; pattern: RegExp }> };

  /** @param discovery lists controllers; @param scanner lists their methods. */
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** All routes, sorted by path then method. */
  routes(): readonly RouteEntry[] {
    return this.build().routes;
  }

  /** Methods served for `path` (a concrete request path, without query), e.g. `['DELETE','POST']`. */
  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const { route, pattern } of this.build().matchers) if (pattern.test(path)) methods.add(route.method);
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }

  private build(): NonNullable<RouteCatalogService['cached']> {
    if (this.cached !== undefined) return this.cached;
    const routes: RouteEntry[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined | null;
      if (typeof type !== 'function') continue;
      const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined);
      const prototype = type.prototype as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (method === undefined || paths === undefined) continue;
        for (const prefix of prefixes) {
          for (const path of asArray(paths)) {
            const full = join(prefix, path);
            routes.push({ method: RequestMethod[method], path: full, openApiPath: full.replace(/:([A-Za-z0-9_]+)/g, '{$1}') });
          }
        }
      }
    }
    routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    const matchers = routes.map((route) => ({ route, pattern: toPattern(route.path) }));
    this.cached = { routes, matchers };
    return this.cached;
  }
}

function asArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return [''];
  return Array.isArray(value) ? value : [value];
}

function join(prefix: string, path: string): string {
  const parts = [prefix, path].map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '');
  return `/${parts.join('/')}`;
}

/** A matcher of a Nest path (`:param` = one non-empty segment); a trailing slash is tolerated. */
function toPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}
