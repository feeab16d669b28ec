import { join } from 'node:path';
import { validateMount, type StaticMount } from './static-files';

/** The gateway's static assets folder: `src/assets` (next to `app/` in the sources and in dist/). */
export const ASSETS_DIR = join(__dirname, '..', '..', 'assets');

/**
 * What the gateway serves besides the API:
 * - the web app: `/` → assets/web/index.html, its files under `/app/` (assets/web/);
 * - the mesh console: `/console` (and `/console/`) → assets/console/index.html, its files under `/console/`
 *   (assets/console/).
 * To serve another folder, add a mount here (prefix, folder, pages).
 */
export const GATEWAY_WEB_MOUNTS: readonly StaticMount[] = Object.freeze([
  validateMount({ prefix: '/app/', dir: join(ASSETS_DIR, 'web'), pages: { '/': 'index.html', '/index.html': 'index.html' } }),
  validateMount({ prefix: '/console/', dir: join(ASSETS_DIR, 'console'), pages: { '/console': 'index.html', '/console/': 'index.html' } }),
]);
