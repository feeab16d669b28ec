import { PROJECT_ENV, progress, run } from './compose';

/** `docker compose down -v --remove-orphans` of this run's project (containers, network, volumes). */
export async function tearDown(): Promise<void> {
  const name = process.env[PROJECT_ENV];
  if (!name) return;
  const t = Date.now();
  const result = await run('docker', ['compose', '-p', name, 'down', '-v', '--remove-orphans', '--timeout', '5'], { timeoutMs: 180_000 });
  if (result.code !== 0) progress(`docker compose -p ${name} down -v failed (exit ${result.code}): ${result.stderr.trim()}; remove it by hand`);
  else progress(`project ${name} removed (down -v) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

export default tearDown;
