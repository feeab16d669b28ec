import { extname, join, sep } from 'node:path';

/**
 * One folder of static files served by the gateway (framework-free description; see
 * StaticAssetsMiddleware).
 */
export interface StaticMount {
  /** URL prefix of the folder's files, starting and ending with `/`, e.g. `/app/`. */
  readonly prefix: string;
  /** Absolute path of the folder. */
  readonly dir: string;
  /** Exact URL paths answered with a file of the folder, e.g. `{ '/': 'index.html' }`. */
  readonly pages?: Readonly<Record<string, string>>;
}

/** What a request path means for a set of mounts. */
export type StaticTarget =
  /** A file to serve (it may still not exist). */
  | { readonly kind: 'file'; readonly path: string; readonly contentType: string; readonly page: boolean }
  /** Under a mount but refused (path tricks, hidden files, unknown types): answer 404. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** Not a static path: let the API's router answer. */
  | { readonly kind: 'none' };

/** Content types of the file types served (anything else under a mount is a 404). */
export const STATIC_CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
});

/**
 * Content-Security-Policy of the static pages: everything from the gateway itself (no CDN, no
 * inline script or style), images also from `blob:`/`data:` (the upload preview), no plugins, no
 * framing, no `<base>` tricks, forms only to the gateway.
 */
export const STATIC_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Checks a mount's shape. @throws Error naming the bad value. */
export function validateMount(mount: StaticMount): StaticMount {
  if (!/^\/([A-Za-z0-9_-]+\/)*$/.test(mount.prefix)) throw new Error(`static mount prefix "${mount.prefix}" must start and end with "/" and hold only letters, digits, "-", "_" (e.g. "/app/")`);
  if (!mount.dir.startsWith('/')) throw new Error(`static mount dir "${mount.dir}" must be an absolute path`);
  for (const [url, file] of Object.entries(mount.pages ?? {})) {
    if (!url.startsWith('/')) throw new Error(`static page "${url}" must start with "/"`);
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(file) || contentTypeOf(file) === undefined) throw new Error(`static page file "${file}" must be a plain file name of a served type`);
  }
  return mount;
}

/** The content type served for `file`, by its extension; undefined when that type is not served. */
export function contentTypeOf(file: string): string | undefined {
  return STATIC_CONTENT_TYPES[extname(file).toLowerCase()];
}

/**
 * What `urlPath` (the request path, without query, still percent-encoded) is for `mounts`:
 * a page or a file of a mount, a refusal (path tricks such as `..`, encoded slashes or NUL,
 * hidden files, types not served), or nothing static. Never returns a path outside a mount's
 * folder.
 */
export function resolveStatic(mounts: readonly StaticMount[], urlPath: string): StaticTarget {
  for (const mount of mounts) {
    const page = mount.pages?.[urlPath];
    if (page !== undefined) return { kind: 'file', path: join(mount.dir, page), contentType: contentTypeOf(page) as string, page: true };
  }
  for (const mount of mounts) {
    if (!urlPath.startsWith(mount.prefix)) continue;
    const rest = urlPath.slice(mount.prefix.length);
    if (rest === '') return { kind: 'refused', reason: 'a folder is not a file' };
    const segments: string[] = [];
    for (const raw of rest.split('/')) {
      let segment: string;
      try {
        segment = decodeURIComponent(raw);
      } catch {
        return { kind: 'refused', reason: 'the path is not correctly percent-encoded' };
      }
      if (segment === '' || segment.startsWith('.') || /[/\\]/.test(segment) || hasControlCharacter(segment)) {
        return { kind: 'refused', reason: 'the path has an empty, hidden, dot or encoded-separator segment' };
      }
      segments.push(segment);
    }
    const contentType = contentTypeOf(segments[segments.length - 1]);
    if (contentType === undefined) return { kind: 'refused', reason: 'files of this type are not served' };
    const path = join(mount.dir, ...segments);
    if (!path.startsWith(mount.dir.endsWith(sep) ? mount.dir : mount.dir + sep)) return { kind: 'refused', reason: 'the path leaves the folder' };
    return { kind: 'file', path, contentType, page: contentType.startsWith('text/html') };
  }
  return { kind: 'none' };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
