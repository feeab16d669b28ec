import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The monorepo root (the folder holding tsconfig.base.json), found from this file. */
export function workspaceRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'tsconfig.base.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}
