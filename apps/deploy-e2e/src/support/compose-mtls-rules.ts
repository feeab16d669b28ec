import { appOf, commandOf, dependsOn, mountsOf, roleOf, type ComposeConfig } from './compose';

/** What the one-shot certs service of a compose file writes: where, into which volume, for which services. */
export interface ComposeCertsJob {
  name: string;
  /** The folder it writes (`node deploy/certs/generate-certs.mjs <dir> <services> ...`). */
  dir: string;
  /** The services it writes a certificate for (one sub-folder each). */
  services: string[];
  /** The named volume mounted at `dir`, if any. */
  volume?: string;
}

/** The certs service of a resolved compose file, or undefined when there is none. */
export function certsJobOf(config: ComposeConfig): ComposeCertsJob | undefined {
  const entry = Object.entries(config.services).find(([, s]) => roleOf(s) === 'certs');
  if (!entry) return undefined;
  const [name, service] = entry;
  const [, , dir = '', services = ''] = commandOf(service);
  const volume = mountsOf(service).find((m) => m.type === 'volume' && m.target === dir)?.source;
  return { name, dir, services: services.split(',').filter(Boolean), volume };
}

/**
 * Mutual TLS in compose: every app service reads its own service's folder of the certs volume
 * (GRPC_TLS_DIR = `<certs dir>/<app>`, a folder the certs job writes), mounts that volume
 * read-only at the certs job's path, and starts only once the certs job has completed.
 * Returns one line per problem (`<service>: ...`), empty when all hold.
 */
export function composeMtlsRule(config: ComposeConfig): string[] {
  const job = certsJobOf(config);
  if (!job) return ['no certs service (node deploy/certs/generate-certs.mjs <dir> <services>): add the one-shot job that writes the mutual-TLS certificates'];
  if (!job.volume) return [`${job.name}: writes ${job.dir || '(no dir)'} but mounts no named volume there: mount grpc-certs at ${job.dir || 'its output folder'}`];
  const out: string[] = [];
  for (const [name, service] of Object.entries(config.services).filter(([, s]) => roleOf(s) === 'app')) {
    const app = appOf(service) as string;
    const expected = `${job.dir}/${app}`;
    if (!job.services.includes(app)) out.push(`${name}: ${job.name} writes no certificate for ${app} (its command lists ${job.services.join(',')})`);
    const dir = service.environment?.['GRPC_TLS_DIR'];
    if (dir !== expected) out.push(`${name}: GRPC_TLS_DIR is ${dir ?? 'unset'}, expected ${expected} (its own service's certificate)`);
    const mount = mountsOf(service).find((m) => m.target === job.dir);
    if (!mount || mount.type !== 'volume' || mount.source !== job.volume) out.push(`${name}: does not mount volume ${job.volume} at ${job.dir}`);
    else if (!mount.readOnly) out.push(`${name}: mounts ${job.volume} writable; mount it read-only (:ro)`);
    const condition = dependsOn(service)[job.name];
    if (condition !== 'service_completed_successfully') out.push(`${name}: depends on ${job.name} with ${condition ?? 'nothing'}, expected service_completed_successfully`);
  }
  return out;
}
