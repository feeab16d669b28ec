import { progress, run } from './compose';

/** The base images docker-compose.yml names, by variable, with their official defaults. */
export const BASE_IMAGES = { FAILSOFT_NODE_IMAGE: 'node:22-bookworm-slim@sha256:f576cc608b02e6b04bb0700e13be83eb5ceb7bb24584c3181b0f4ecfa0cd0edf', FAILSOFT_REDIS_IMAGE: 'redis:7.2-bookworm@sha256:0637954999d01b7c9ce9167db2da50656e2590d3b884f1c600c5f63bb6e6773c', FAILSOFT_HAPROXY_IMAGE: 'haproxy:2.8@sha256:bbec126b29d3dbc06437d2ea6694119467ea5c85ed6e487d28bb81a5a7e31805' } as const;

/**
 * Makes sure the base images exist: the ones the FAILSOFT_*_IMAGE variables name when set, else the
 * official images when they are here or can be pulled, else the stand-ins that
 * deploy/docker/local-base-images.sh builds (a machine without a public registry, such as CI);
 * their names go into process.env for the compose runs. @throws saying what is missing.
 */
export async function ensureBaseImages(): Promise<void> {
  const names = Object.keys(BASE_IMAGES) as Array<keyof typeof BASE_IMAGES>;
  const chosen = names.map((name) => process.env[name] || BASE_IMAGES[name]);
  const present = async (image: string): Promise<boolean> => (await run('docker', ['image', 'inspect', image], { timeoutMs: 30_000 })).code === 0;
  const missing: string[] = [];
  for (const image of chosen) if (!(await present(image))) missing.push(image);
  if (missing.length === 0) {
    progress(`base images: ${chosen.join(', ')}`);
    return;
  }
  if (names.some((name) => process.env[name])) throw new Error(`base images missing: ${missing.join(', ')} (named by FAILSOFT_*_IMAGE); build the stand-ins with: eval "$(deploy/docker/local-base-images.sh)"`);
  const pulled = await run('docker', ['pull', '-q', missing[0]], { timeoutMs: 60_000 }).catch(() => ({ code: 1, stderr: 'timeout', stdout: '' }));
  if (pulled.code === 0) {
    for (const image of missing.slice(1)) {
      const next = await run('docker', ['pull', '-q', image], { timeoutMs: 300_000 });
      if (next.code !== 0) throw new Error(`docker pull ${image} failed: ${next.stderr.trim()}`);
    }
    progress(`base images: pulled ${missing.join(', ')}`);
    return;
  }
  progress(`base images: ${missing[0]} cannot be pulled (${pulled.stderr.trim().split('\n').pop()}); building stand-ins with deploy/docker/local-base-images.sh`);
  const built = await run('bash', ['deploy/docker/local-base-images.sh'], { timeoutMs: 600_000, stream: '[local-base-images] ' });
  if (built.code !== 0) throw new Error(`deploy/docker/local-base-images.sh exited ${built.code}; its output is above`);
  for (const m of built.stdout.matchAll(/^export (FAILSOFT_\w+_IMAGE)=(\S+)$/gm)) process.env[m[1]] = m[2];
  progress(`base images: ${names.map((n) => process.env[n]).join(', ')}`);
}
