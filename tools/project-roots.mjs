import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The project folders named on a tool's command line; exits 2 with a clear message when there is
 * none or one is not a folder.
 * @param tool the tool's name (`room-sizes`), used in messages.
 * @param roots the arguments that name folders.
 * @param flags the tool's flags, shown in the usage line (e.g. `[--report] `).
 */
export function projectRoots(tool, roots, flags = '') {
  if (roots.length === 0) {
    process.stderr.write(`usage: node tools/${tool}.mjs ${flags}<root> [root...]   e.g. node tools/${tool}.mjs libs/sidecar\n`);
    process.exit(2);
  }
  for (const root of roots) {
    if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
      process.stderr.write(`${tool}: ${root} is not a directory; give a project folder such as libs/sidecar\n`);
      process.exit(2);
    }
  }
  return roots;
}

/** True when `importMetaUrl` is the script node was started with. */
export function isMainModule(importMetaUrl) {
  return process.argv[1] !== undefined && importMetaUrl === new URL(`file://${process.argv[1]}`).href;
}

/**
 * The files under `root` whose name passes `accept`, sorted; folders named in `skipped` are not
 * entered.
 */
export function filesUnder(root, skipped, accept) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skipped.has(entry.name)) walk(path);
      } else if (accept(entry.name)) {
        out.push(path);
      }
    }
  };
  walk(root);
  return out.sort();
}
