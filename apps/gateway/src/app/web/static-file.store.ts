import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { contentTypeOf, type StaticMount } from './static-files';
import { WEB_MOUNTS } from './web.constants';

/** One static file, in memory. */
export interface StaticFile {
  readonly body: Buffer;
  /** Strong ETag (a hash of the bytes). */
  readonly etag: string;
}

/** Largest static file kept (anything bigger is not served). */
export const STATIC_FILE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The static files of the mounts, in memory: every served file of every mount folder is read at
 * start, and a file that appears later is read on its first request. Once read, a file is served
 * from memory for the life of the process (a deployed gateway's assets never change; restart to
 * pick up edits), so rebuilding dist/ under a running gateway never breaks its pages.
 */
@Injectable()
export class StaticFileStore implements OnModuleInit {
  private readonly files = new Map<string, StaticFile>();

  /** @param mounts the folders served. */
  constructor(@Inject(WEB_MOUNTS) private readonly mounts: readonly StaticMount[]) {}

  /** Reads every served file of every mount (a missing folder is skipped: nothing to serve). */
  async onModuleInit(): Promise<void> {
    for (const mount of this.mounts) await this.preload(mount.dir);
  }

  /** Number of files in memory. */
  get size(): number {
    return this.files.size;
  }

  /** The file at `path` (absolute, already checked to be inside a mount), or undefined when there is none. */
  async get(path: string): Promise<StaticFile | undefined> {
    const known = this.files.get(path);
    if (known !== undefined) return known;
    return this.load(path);
  }

  private async preload(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await this.preload(path);
      else if (entry.isFile() && contentTypeOf(entry.name) !== undefined) await this.load(path);
    }
  }

  private async load(path: string): Promise<StaticFile | undefined> {
    try {
      const info = await stat(path);
      if (!info.isFile() || info.size > STATIC_FILE_MAX_BYTES) return undefined;
      const body = await readFile(path);
      const file = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      this.files.set(path, file);
      return file;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG';
}
