import { PLATFORM_SERVICE_NAMES, SERVICE_CATALOGUE } from '@failsoft/contracts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kustomize, podSpecOf, validateWithKubernetesModels, type K8sObject } from './support/k8s';
import { appsWithoutMtls, CA_SECRET, CERTS_JOB_SCRIPT, secretsWrittenBy, tlsSecretsRule } from './support/k8s-mtls-rules';
import { imageRule } from './support/k8s-rules';
import { readText, workspace } from './support/tools';

/**
 * Mutual TLS in Kubernetes, on by default: deploy/k8s (and every overlay but production) makes
 * the certificates with the one-shot Job of components/mtls-job; overlays/production with
 * cert-manager (components/mtls-cert-manager). Both make the same Secrets, so the app side
 * (components/mtls-apps) is one: every app mounts its own certificate and turns mutual TLS on;
 * each certificate names its service; the gRPC services' readiness leaves the plaintext gRPC probe.
 */
const RENDERS = { job: 'deploy/k8s', certManager: 'deploy/k8s/overlays/production' } as const;
const SECRETS = [CA_SECRET, ...SERVICE_CATALOGUE.map(({ name }) => `${name}-grpc-tls`)];

describe('Kubernetes mutual TLS (deploy/k8s with the certs Job, overlays/production with cert-manager)', () => {
  const rendered: Record<keyof typeof RENDERS, K8sObject[]> = { job: [], certManager: [] };
  const find = (which: keyof typeof RENDERS, kind: string, name: string): K8sObject => {
    const found = rendered[which].find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`no ${kind}/${name} in the rendered manifests of ${RENDERS[which]}`);
    return found;
  };

  beforeAll(() => {
    rendered.job = kustomize(RENDERS.job);
    rendered.certManager = kustomize(RENDERS.certManager);
  });

  it('production: issues one certificate per service from the platform CA with cert-manager, naming the service; no Job', () => {
    const ca = find('certManager', 'Certificate', CA_SECRET);
    expect(ca.spec).toMatchObject({ isCA: true, issuerRef: { name: 'failsoft-selfsigned', kind: 'Issuer' } });
    expect(find('certManager', 'Issuer', CA_SECRET).spec).toEqual({ ca: { secretName: CA_SECRET } });
    for (const { name } of SERVICE_CATALOGUE) {
      const certificate = find('certManager', 'Certificate', `${name}-grpc-tls`);
      expect(certificate.spec).toMatchObject({ secretName: `${name}-grpc-tls`, commonName: name, uris: [`spiffe://failsoft/${name}`], issuerRef: { name: CA_SECRET } });
      expect(certificate.spec.dnsNames).toContain('failsoft-internal');
      expect(certificate.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    }
    expect(rendered.certManager.filter((o) => ['Job', 'Role', 'RoleBinding'].includes(o.kind))).toEqual([]);
  });

  it.each(Object.keys(RENDERS) as Array<keyof typeof RENDERS>)('%s: mounts each service its own certificate, sets GRPC_TLS_DIR and the verified server name, HTTP readiness', (which) => {
    expect(appsWithoutMtls(rendered[which], PLATFORM_SERVICE_NAMES)).toEqual([]);
    for (const { name, portRole } of SERVICE_CATALOGUE) {
      const deployment = find(which, 'Deployment', name);
      const pod = podSpecOf(deployment);
      const container = pod.containers[0];
      const volume = pod.volumes.find((v: { name: string }) => v.name === 'grpc-tls');
      expect(volume.secret).toEqual({ secretName: `${name}-grpc-tls`, defaultMode: 0o440 });
      expect(container.volumeMounts).toContainEqual({ name: 'grpc-tls', mountPath: '/etc/failsoft/grpc-tls', readOnly: true });
      const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      expect(env['GRPC_TLS_DIR']).toBe('/etc/failsoft/grpc-tls');
      expect(env['GRPC_TLS_SERVER_NAME']).toBe('failsoft-internal');
      // the kubelet's gRPC probe has no client certificate
      expect(container.readinessProbe.grpc).toBeUndefined();
      if (portRole === 'grpc') expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(validateWithKubernetesModels([deployment]).flatMap((r) => r.errors)).toEqual([]);
    }
    expect(tlsSecretsRule(rendered[which])).toEqual([]);
  });

  it('deploy/k8s: the Job writes every Secret the apps mount, hardened like the apps, retried and cleaned up', () => {
    const job = find('job', 'Job', 'failsoft-certs');
    expect(secretsWrittenBy(job).sort()).toEqual([...SECRETS].sort());
    expect(job.spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 600 });
    const pod = podSpecOf(job);
    expect(pod).toMatchObject({ restartPolicy: 'Never', serviceAccountName: 'failsoft-certs', automountServiceAccountToken: true });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers).toHaveLength(1);
    const [container] = pod.containers;
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
    expect(container.image).toBe(podSpecOf(find('job', 'Deployment', 'likes')).containers[0].image);
    // the script it runs is in the image
    expect(container.command.slice(0, 2)).toEqual(['node', CERTS_JOB_SCRIPT]);
    expect(existsSync(join(workspace, CERTS_JOB_SCRIPT))).toBe(true);
    expect(readText('deploy/docker/Dockerfile')).toMatch(new RegExp(`^COPY .*\\b${CERTS_JOB_SCRIPT.replace(/[./]/g, '\\$&')}\\b.* \\./deploy/certs/$`, 'm'));
    // only its own ServiceAccount has API access: the apps' tokens stay unmounted
    expect(find('job', 'ServiceAccount', 'failsoft-certs').automountServiceAccountToken).toBe(false);
    for (const { name } of SERVICE_CATALOGUE) expect(podSpecOf(find('job', 'Deployment', name)).automountServiceAccountToken).toBe(false);
    expect(validateWithKubernetesModels(rendered.job.filter((o) => ['Job', 'Role', 'RoleBinding', 'ServiceAccount', 'NetworkPolicy'].includes(o.kind))).flatMap((r) => r.errors)).toEqual([]);
  });

  it('deploy/k8s: the Job may create Secrets and get/update only the PKI\'s, by name; nothing else', () => {
    expect(find('job', 'Role', 'failsoft-certs').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: SECRETS },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    expect(find('job', 'RoleBinding', 'failsoft-certs')).toMatchObject({ roleRef: { kind: 'Role', name: 'failsoft-certs' }, subjects: [{ kind: 'ServiceAccount', name: 'failsoft-certs' }] });
    expect(rendered.job.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  it('deploy/k8s: under the default deny, the Job\'s pod may reach the API server (443 through the Service, 6443 behind it)', () => {
    const labels: Record<string, string> = find('job', 'Job', 'failsoft-certs').spec.template.metadata.labels;
    expect(labels['app.kubernetes.io/part-of']).toBe('failsoft');
    const egressPorts = rendered.job
      .filter((o) => o.kind === 'NetworkPolicy' && Object.entries(o.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v))
      .flatMap((p) => (p.spec.egress ?? []).filter((rule: { to?: unknown }) => !rule.to).flatMap((rule: { ports?: Array<{ protocol: string; port: number }> }) => (rule.ports ?? []).map((x) => `${x.protocol}/${x.port}`)));
    expect(egressPorts).toEqual(expect.arrayContaining(['TCP/443', 'TCP/6443', 'UDP/53']));
  });
});

describe('the mTLS checks fail on manifests that break them (negative controls)', () => {
  let good: K8sObject[];
  let production: K8sObject[];
  const broken = (change: (objects: K8sObject[]) => void): K8sObject[] => {
    const copy = structuredClone(good);
    change(copy);
    return copy;
  };
  const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject;

  beforeAll(() => {
    good = kustomize(RENDERS.job);
    production = kustomize(RENDERS.certManager);
  });

  it('the baseline keeps them', () => {
    expect({ tls: tlsSecretsRule(good), images: imageRule(good), withoutMtls: appsWithoutMtls(good, PLATFORM_SERVICE_NAMES) }).toEqual({ tls: [], images: [], withoutMtls: [] });
  });

  const controls: Array<[string, (objects: K8sObject[]) => void, RegExp]> = [
    ['cert-manager\'s Certificates as well as the Job', (o) => o.push(...production.filter((x) => x.kind === 'Certificate')), /Secret gateway-grpc-tls has 2 makers \(Certificate\/gateway-grpc-tls, Job\/failsoft-certs\)/],
    ['a Job that forgets feed', (o) => (podSpecOf(named(o, 'Job', 'failsoft-certs')).containers[0].command[2] = 'upload,likes,gateway'), /Deployment\/feed: mounts Secret feed-grpc-tls, which nothing makes/],
    ['a Role without gateway-grpc-tls', (o) => named(o, 'Role', 'failsoft-certs').rules[0].resourceNames.pop(), /its Role must allow get and update on Secret gateway-grpc-tls, by name/],
    ['a Role reading every Secret', (o) => delete named(o, 'Role', 'failsoft-certs').rules[0].resourceNames, /its Role grants get\/update on every name; only create may be unnamed/],
    ['a Role that cannot create', (o) => named(o, 'Role', 'failsoft-certs').rules.pop(), /its Role must allow create on secrets/],
    ['no RoleBinding', (o) => o.splice(o.indexOf(named(o, 'RoleBinding', 'failsoft-certs')), 1), /no Role is bound to its ServiceAccount failsoft-certs/],
  ];

  it.each(controls)('tlsSecrets fails on %s', (_what, change, message) => {
    expect(tlsSecretsRule(broken(change)).join('\n')).toMatch(message);
  });

  it('images fails on the Job running failsoft:latest', () => {
    expect(imageRule(broken((o) => (podSpecOf(named(o, 'Job', 'failsoft-certs')).containers[0].image = 'failsoft:latest')))).toEqual([
      'Job/failsoft-certs/certs: image failsoft:latest must be pinned (third-party: name:tag@sha256:<digest>; failsoft: a version tag)',
    ]);
  });

  it('mTLS counts as off for an app without GRPC_TLS_DIR, or mounting another\'s certificate', () => {
    const noDir = broken((o) => {
      const container = podSpecOf(named(o, 'Deployment', 'likes')).containers[0];
      container.env = container.env.filter((e: { name: string }) => e.name !== 'GRPC_TLS_DIR');
    });
    expect(appsWithoutMtls(noDir, PLATFORM_SERVICE_NAMES)).toEqual(['likes']);
    const swapped = broken((o) => (podSpecOf(named(o, 'Deployment', 'feed')).volumes.find((v: { name: string }) => v.name === 'grpc-tls').secret.secretName = 'upload-grpc-tls'));
    expect(appsWithoutMtls(swapped, PLATFORM_SERVICE_NAMES)).toEqual(['feed']);
  });
});
