import { podSpecOf, type K8sObject } from './k8s';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are read loosely */

/** The script the certs Job runs (deploy/certs/k8s-secrets.mjs), as its command names it. */
export const CERTS_JOB_SCRIPT = 'deploy/certs/k8s-secrets.mjs';
/** The CA's Secret (cert-manager's name for it too). */
export const CA_SECRET = 'failsoft-internal-ca';
/** Where the apps mount their certificate (components/mtls-apps). */
export const TLS_MOUNT = '/etc/failsoft/grpc-tls';

/** The Secrets a Job writes with the certs script: the CA and `<service>-grpc-tls` per service its command lists. */
export function secretsWrittenBy(job: K8sObject): string[] {
  return podSpecOf(job).containers.flatMap((c: any) => {
    const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])];
    const at = argv.indexOf(CERTS_JOB_SCRIPT);
    if (at < 0) return [];
    const services = String(argv[at + 1] ?? '').split(/[ ,]+/).filter(Boolean);
    return [CA_SECRET, ...services.map((s) => `${s}-grpc-tls`)];
  });
}

/** Every Secret some object of the rendering makes, with its makers ("Job/x", "Certificate/y"). */
export function secretMakers(objects: readonly K8sObject[]): Map<string, string[]> {
  const makers = new Map<string, string[]>();
  const add = (secret: string, maker: string) => makers.set(secret, [...(makers.get(secret) ?? []), maker]);
  for (const cert of objects.filter((o) => o.kind === 'Certificate')) add(cert.spec.secretName, `Certificate/${cert.metadata.name}`);
  for (const job of objects.filter((o) => o.kind === 'Job')) for (const secret of secretsWrittenBy(job)) add(secret, `Job/${job.metadata.name}`);
  return makers;
}

/** The certificate Secret a Deployment mounts at TLS_MOUNT, or undefined. */
export function mountedTlsSecret(deployment: K8sObject): string | undefined {
  const pod = podSpecOf(deployment);
  const mount = (pod.containers[0].volumeMounts ?? []).find((m: any) => m.mountPath === TLS_MOUNT);
  return (pod.volumes ?? []).find((v: any) => v.name === mount?.name)?.secret?.secretName;
}

/** Whether `role` lets its subjects `verb` the Secret `name` (resourceNames empty: any name). */
function allows(role: K8sObject | undefined, verb: string, name?: string): boolean {
  return (role?.rules ?? []).some(
    (r: any) => r.apiGroups?.includes('') && r.resources?.includes('secrets') && r.verbs?.includes(verb) && (!r.resourceNames?.length || (name !== undefined && r.resourceNames.includes(name))),
  );
}

/** The Role bound to a Job's ServiceAccount (through a RoleBinding of the rendering). */
function roleOfJob(objects: readonly K8sObject[], job: K8sObject): K8sObject | undefined {
  const account = podSpecOf(job).serviceAccountName;
  const binding = objects.find((o) => o.kind === 'RoleBinding' && o.subjects?.some((s: any) => s.kind === 'ServiceAccount' && s.name === account));
  return objects.find((o) => o.kind === 'Role' && o.metadata.name === binding?.roleRef?.name);
}

/**
 * The certificates of mutual TLS: every `*-grpc-tls` Secret an app mounts is its own and has
 * exactly one maker (the certs Job or a cert-manager Certificate, never both: two makers would
 * overwrite each other's keys), and the certs Job may write what it writes, by name.
 */
export const tlsSecretsRule = (objects: readonly K8sObject[]): string[] => {
  const out: string[] = [];
  const makers = secretMakers(objects);
  for (const [secret, by] of makers) {
    if (by.length > 1) out.push(`Secret ${secret} has ${by.length} makers (${by.join(', ')}): list components/mtls-job or components/mtls-cert-manager, not both`);
  }
  for (const app of objects.filter((o) => o.kind === 'Deployment')) {
    const secret = mountedTlsSecret(app);
    if (secret === undefined) continue;
    if (secret !== `${app.metadata.name}-grpc-tls`) out.push(`Deployment/${app.metadata.name}: mounts ${secret}, not its own certificate ${app.metadata.name}-grpc-tls`);
    if (!makers.has(secret)) out.push(`Deployment/${app.metadata.name}: mounts Secret ${secret}, which nothing makes (add components/mtls-job or components/mtls-cert-manager)`);
  }
  for (const job of objects.filter((o) => o.kind === 'Job' && secretsWrittenBy(o).length > 0)) {
    const role = roleOfJob(objects, job);
    if (!role) out.push(`Job/${job.metadata.name}: no Role is bound to its ServiceAccount ${podSpecOf(job).serviceAccountName}`);
    if (!allows(role, 'create')) out.push(`Job/${job.metadata.name}: its Role must allow create on secrets`);
    for (const secret of secretsWrittenBy(job)) {
      if (!allows(role, 'get', secret) || !allows(role, 'update', secret)) out.push(`Job/${job.metadata.name}: its Role must allow get and update on Secret ${secret}, by name`);
    }
    const wide = (role?.rules ?? []).filter((r: any) => r.verbs?.some((v: string) => v !== 'create') && !r.resourceNames?.length);
    if (wide.length) out.push(`Job/${job.metadata.name}: its Role grants ${wide.map((r: any) => r.verbs.join('/')).join(', ')} on every name; only create may be unnamed`);
  }
  return out;
};

/** Apps that do not have mutual TLS on: GRPC_TLS_DIR at the mount of their own certificate Secret. */
export function appsWithoutMtls(objects: readonly K8sObject[], apps: readonly string[]): string[] {
  return apps.filter((app) => {
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === app);
    if (!deployment) return true;
    const env = podSpecOf(deployment).containers[0].env ?? [];
    const dir = env.find((e: any) => e.name === 'GRPC_TLS_DIR')?.value;
    return dir !== TLS_MOUNT || mountedTlsSecret(deployment) !== `${app}-grpc-tls`;
  });
}
