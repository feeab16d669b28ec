import { SERVICE_CATALOGUE } from '@failsoft/contracts';
import { kustomize, podSpecOf, validateWithKubernetesModels, type K8sObject } from './support/k8s';

/**
 * deploy/k8s/components/mtls (used by overlays/production): every app mounts its own cert-manager
 * certificate and turns mutual TLS on; each certificate names its service (the identity the gRPC
 * servers check permissions against); the gRPC services' readiness leaves the plaintext gRPC probe.
 */
describe('Kubernetes mutual TLS (overlays/production, rendered)', () => {
  let objects: K8sObject[];
  const find = (kind: string, name: string): K8sObject => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`no ${kind}/${name} in the rendered manifests of overlays/production`);
    return found;
  };

  beforeAll(() => {
    objects = kustomize('deploy/k8s/overlays/production');
  });

  it('issues one certificate per service from the platform CA, naming the service', () => {
    const ca = find('Certificate', 'failsoft-internal-ca');
    expect(ca.spec).toMatchObject({ isCA: true, issuerRef: { name: 'failsoft-selfsigned', kind: 'Issuer' } });
    expect(find('Issuer', 'failsoft-internal-ca').spec).toEqual({ ca: { secretName: 'failsoft-internal-ca' } });
    for (const { name } of SERVICE_CATALOGUE) {
      const certificate = find('Certificate', `${name}-grpc-tls`);
      expect(certificate.spec).toMatchObject({ secretName: `${name}-grpc-tls`, commonName: name, uris: [`spiffe://failsoft/${name}`], issuerRef: { name: 'failsoft-internal-ca' } });
      expect(certificate.spec.dnsNames).toContain('failsoft-internal');
      expect(certificate.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    }
  });

  it('mounts each service its own certificate and sets GRPC_TLS_DIR and the verified server name', () => {
    for (const { name, portRole } of SERVICE_CATALOGUE) {
      const deployment = find('Deployment', name);
      const pod = podSpecOf(deployment);
      const container = pod.containers[0];
      const volume = pod.volumes.find((v: { name: string }) => v.name === 'grpc-tls');
      expect(volume.secret.secretName).toBe(`${name}-grpc-tls`);
      expect(container.volumeMounts).toContainEqual({ name: 'grpc-tls', mountPath: '/etc/failsoft/grpc-tls', readOnly: true });
      const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      expect(env['GRPC_TLS_DIR']).toBe('/etc/failsoft/grpc-tls');
      expect(env['GRPC_TLS_SERVER_NAME']).toBe('failsoft-internal');
      // the kubelet's gRPC probe has no client certificate
      expect(container.readinessProbe.grpc).toBeUndefined();
      if (portRole === 'grpc') expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(validateWithKubernetesModels([deployment]).flatMap((r) => r.errors)).toEqual([]);
    }
  });
});
