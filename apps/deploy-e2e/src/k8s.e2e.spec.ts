import { readFileSync } from 'node:fs';
import { catalogueEntry, GRPC_SERVICE_NAMES, PLATFORM_SERVICE_NAMES } from '@failsoft/contracts';
import { join } from 'node:path';
import { kustomize, podSpecOf, selects, typeCheckObjects, validateWithKubernetesModels, type K8sObject } from './support/k8s';
import { containerEnv, containerOf, envValue, imageRule } from './support/k8s-rules';
import { workspace } from './support/tools';

/**
 * deploy/k8s renders with `kubectl kustomize`, every rendered object is valid for the Kubernetes
 * schema, and every workload has what running it safely needs: probes, requests and limits, a
 * disruption budget, a locked-down security context, zone spread and graceful termination.
 */
/** The apps, from the service catalogue of @failsoft/contracts. */
const APPS: readonly string[] = PLATFORM_SERVICE_NAMES;
const GRPC_APPS: readonly string[] = GRPC_SERVICE_NAMES;
/** The apps' drain timeout (sidecar default), which the termination grace period must exceed. */
const DRAIN_SECONDS = 10;

describe('deploy/k8s', () => {
  let objects: K8sObject[];
  const ofKind = (kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
  const named = (kind: string, name: string): K8sObject => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`no ${kind}/${name} in the rendered manifests`);
    return found;
  };
  const workloads = (): K8sObject[] => [...ofKind('Deployment'), ...ofKind('StatefulSet')];
  /** What the overlays add or change (the Ingress, the LoadBalancer Service, the production timings). */
  const overlayObjects = (): K8sObject[] =>
    ['front-door', 'load-balancer', 'production'].flatMap((o) => kustomize(`deploy/k8s/overlays/${o}`)).filter((o) => ['Ingress', 'Service', 'ConfigMap'].includes(o.kind));

  beforeAll(() => {
    objects = kustomize('deploy/k8s');
  });

  it('renders with `kubectl kustomize deploy/k8s`', () => {
    expect(objects.length).toBeGreaterThan(0);
    const kinds = [...new Set(objects.map((o) => o.kind))].sort();
    // Job, Role, RoleBinding: the certs Job of components/mtls-job (mTLS on by default; k8s-mtls.e2e.spec.ts)
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount', 'StatefulSet']);
  });

  it('validates every rendered object of deploy/k8s and of its overlays against the Kubernetes schema (kubernetes-models)', () => {
    const all = [...objects, ...overlayObjects()];
    const results = validateWithKubernetesModels(all);
    expect(results).toHaveLength(all.length);
    expect(results.filter((r) => r.errors.length > 0).map((r) => `${r.kind}/${r.name}: ${r.errors.join('; ')}`)).toEqual([]);
  });

  it('uses no field the schema does not define (typed against the kubernetes-models interfaces), overlays included', () => {
    expect(typeCheckObjects([...objects, ...overlayObjects()])).toEqual([]);
  });

  it('catches a misspelt field and a wrong type (so the two checks above can fail)', () => {
    const deployment = JSON.parse(JSON.stringify(named('Deployment', 'likes'))) as K8sObject;
    const container = podSpecOf(deployment).containers[0];
    container.readinesProbe = container.readinessProbe;
    deployment.spec.replicas = 'two';
    expect(typeCheckObjects([deployment]).join('\n')).toMatch(/readinesProbe[\s\S]*number|number[\s\S]*readinesProbe/);
    expect(validateWithKubernetesModels([deployment])[0].errors.join('\n')).toMatch(/replicas must be integer/);
  });

  it('is namespace-agnostic', () => {
    expect(objects.filter((o) => o.metadata.namespace !== undefined).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  it('has a Deployment, a Service, a ServiceAccount, a PodDisruptionBudget and an autoscaler per app', () => {
    for (const app of APPS) {
      const deployment = named('Deployment', app);
      const pod = podSpecOf(deployment);
      const labels = deployment.spec.template.metadata.labels;
      expect(selects(deployment.spec.selector.matchLabels, labels)).toBe(true);
      expect(pod.serviceAccountName).toBe(app);
      named('ServiceAccount', app);
      expect({ app, serviceSelects: selects(named('Service', app).spec.selector, labels) }).toEqual({ app, serviceSelects: true });
      const hpa = named('HorizontalPodAutoscaler', app);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      // the autoscaler owns the replica count: re-applying must not reset it
      expect(deployment.spec.replicas).toBeUndefined();
    }
  });

  it('covers every workload with a PodDisruptionBudget that keeps one replica down at most', () => {
    for (const workload of workloads()) {
      const labels = workload.spec.template.metadata.labels;
      const budgets = ofKind('PodDisruptionBudget').filter((pdb) => selects(pdb.spec.selector.matchLabels, labels));
      expect({ workload: workload.metadata.name, budgets: budgets.length }).toEqual({ workload: workload.metadata.name, budgets: 1 });
      const pdb = budgets[0].spec;
      expect(pdb.maxUnavailable === 1 || (typeof pdb.minAvailable === 'number' && pdb.minAvailable >= 1)).toBe(true);
    }
  });

  it('probes every app: readiness on /readyz (gRPC services: the http port, as mTLS is on; the base alone: grpc.health.v1) or the admin port (gateway), liveness and startup on /livez', () => {
    const base = kustomize('deploy/k8s/base');
    for (const app of APPS) {
      const [container] = podSpecOf(named('Deployment', app)).containers;
      const ports = Object.fromEntries(container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
      if (GRPC_APPS.includes(app)) {
        // the kubelet's gRPC probe cannot present a client certificate: components/mtls-apps moves readiness to HTTP
        expect({ app, readiness: container.readinessProbe.httpGet }).toEqual({ app, readiness: { path: '/readyz', port: 'http' } });
        const [plain] = podSpecOf(base.find((o) => o.kind === 'Deployment' && o.metadata.name === app) as K8sObject).containers;
        expect({ app, readiness: plain.readinessProbe.grpc }).toEqual({ app, readiness: { port: ports.grpc } });
        expect(container.env.find((e: { name: string }) => e.name === 'GRPC_PORT')?.value).toBe(String(ports.grpc));
      } else {
        expect({ app, readiness: container.readinessProbe.httpGet }).toEqual({ app, readiness: { path: catalogueEntry(app).healthName, port: 'admin' } });
        // the admin port is the container's own: no Service (hence no Ingress) reaches it; Prometheus scrapes it
        expect(container.env.find((e: { name: string }) => e.name === 'ADMIN_PORT')?.value).toBe(String(ports.admin));
        expect(named('Service', app).spec.ports.map((p: { targetPort: unknown }) => p.targetPort)).toEqual(['http']);
        expect(named('Deployment', app).spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(ports.admin) });
      }
      // liveness never depends on Redis (a failover must not restart every pod)
      expect({ app, liveness: container.livenessProbe.httpGet, startup: container.startupProbe.httpGet }).toEqual({ app, liveness: { path: '/livez', port: 'http' }, startup: { path: '/livez', port: 'http' } });
      expect(container.env.find((e: { name: string }) => e.name === 'HTTP_PORT')?.value).toBe(String(ports.http));
    }
  });

  it('probes Redis and the sentinels', () => {
    for (const name of ['redis', 'sentinel']) {
      const [container] = podSpecOf(named('StatefulSet', name)).containers;
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) expect({ name, probe, has: container[probe]?.exec?.command?.length > 0 }).toEqual({ name, probe, has: true });
    }
  });

  it('sets CPU and memory requests and limits on every container', () => {
    for (const workload of workloads()) {
      for (const container of [...podSpecOf(workload).containers, ...(podSpecOf(workload).initContainers ?? [])]) {
        const r = container.resources ?? {};
        expect({ container: `${workload.metadata.name}/${container.name}`, cpu: [r.requests?.cpu, r.limits?.cpu].every(Boolean), memory: [r.requests?.memory, r.limits?.memory].every(Boolean) }).toEqual({
          container: `${workload.metadata.name}/${container.name}`,
          cpu: true,
          memory: true,
        });
      }
    }
  });

  it('runs every container as non-root on a read-only root file system, without privileges', () => {
    for (const workload of workloads()) {
      const pod = podSpecOf(workload);
      expect({ workload: workload.metadata.name, pod: pod.securityContext }).toMatchObject({ workload: workload.metadata.name, pod: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of pod.containers) {
        expect({ container: container.name, securityContext: container.securityContext }).toEqual({
          container: container.name,
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
        });
        const tmp = container.volumeMounts?.find((m: { mountPath: string }) => m.mountPath === '/tmp');
        expect({ container: container.name, writableTmp: pod.volumes.some((v: { name: string; emptyDir?: unknown }) => v.name === tmp?.name && v.emptyDir) }).toEqual({ container: container.name, writableTmp: true });
      }
    }
  });

  it('spreads every workload over zones, then nodes', () => {
    for (const workload of workloads()) {
      const keys = (podSpecOf(workload).topologySpreadConstraints ?? []).map((c: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }) => ({
        key: c.topologyKey,
        ownPods: selects(c.labelSelector.matchLabels, workload.spec.template.metadata.labels),
      }));
      expect({ workload: workload.metadata.name, keys }).toEqual({
        workload: workload.metadata.name,
        keys: [
          { key: 'topology.kubernetes.io/zone', ownPods: true },
          { key: 'kubernetes.io/hostname', ownPods: true },
        ],
      });
    }
  });

  it('lets apps drain before they are killed', () => {
    for (const app of APPS) {
      const pod = podSpecOf(named('Deployment', app));
      const preStop = Number(pod.containers[0].lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect({ app, enough: pod.terminationGracePeriodSeconds > DRAIN_SECONDS + preStop }).toEqual({ app, enough: true });
      expect(named('Deployment', app).spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    }
  });

  it('runs Redis (3 pods, pod 0 the first master) and 3 sentinels as StatefulSets on persistent volumes', () => {
    for (const name of ['redis', 'sentinel']) {
      const set = named('StatefulSet', name);
      expect(set.spec.replicas).toBe(3);
      expect(set.spec.serviceName).toBe(name);
      expect(named('Service', name).spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
      expect(set.spec.volumeClaimTemplates.map((t: { metadata: { name: string } }) => t.metadata.name)).toEqual(['data']);
      const env = containerEnv(objects, podSpecOf(set).containers[0]);
      expect(envValue(env, 'INITIAL_MASTER_HOST')).toBe('redis-0.redis');
      expect(envValue(env, 'ANNOUNCE_HOST')).toBe(`$(POD_NAME).${name}`);
      expect(set.spec.podManagementPolicy).toBe('Parallel');
    }
  });

  it('points the apps at the three sentinel pods', () => {
    const config = ofKind('ConfigMap').find((c) => c.metadata.name.startsWith('failsoft-config-'));
    expect(config?.data.REDIS_SENTINELS).toBe('sentinel-0.sentinel:26379,sentinel-1.sentinel:26379,sentinel-2.sentinel:26379');
    expect(config?.data.REDIS_MASTER_NAME).toBe('failsoft');
  });

  it('refers only to ConfigMap keys that exist, and to the documented Secret', () => {
    const maps = new Map(ofKind('ConfigMap').map((c) => [c.metadata.name, c]));
    for (const workload of workloads()) {
      const pod = podSpecOf(workload);
      for (const env of pod.containers.flatMap((c: { env?: unknown[] }) => c.env ?? []) as Array<{ name: string; valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } } }>) {
        const cm = env.valueFrom?.configMapKeyRef;
        if (cm) expect({ env: env.name, found: maps.get(cm.name)?.data?.[cm.key] !== undefined }).toEqual({ env: env.name, found: true });
        const secret = env.valueFrom?.secretKeyRef;
        if (secret) expect({ env: env.name, secret: secret.name }).toEqual({ env: env.name, secret: secret.key.startsWith('REDIS_') ? 'failsoft-redis-secrets' : 'failsoft-secrets' });
        if (secret && !secret.key.startsWith('REDIS_')) expect(secret.key).toBe(env.name);
      }
      for (const volume of pod.volumes ?? []) if (volume.configMap) expect(maps.has(volume.configMap.name)).toBe(true);
    }
  });

  it('authenticates to Redis: each app as its own ACL user, Redis and the sentinels with every password, all from the generated Secret (none rendered)', () => {
    for (const app of APPS) {
      const env = containerEnv(objects, containerOf(named('Deployment', app), app));
      expect({ app, user: envValue(env, 'REDIS_USERNAME'), password: env.get('REDIS_PASSWORD'), sentinel: env.get('REDIS_SENTINEL_PASSWORD') }).toEqual({
        app,
        user: app,
        password: { secret: `failsoft-redis-secrets/REDIS_${app.toUpperCase()}_PASSWORD` },
        sentinel: { secret: 'failsoft-redis-secrets/REDIS_SENTINEL_PASSWORD' },
      });
    }
    for (const [workload, cli] of [['redis', 'REDIS_ADMIN_PASSWORD'], ['sentinel', 'REDIS_SENTINEL_PASSWORD']]) {
      const container = containerOf(named('StatefulSet', workload), workload);
      expect({ workload, secrets: (container.envFrom ?? []).map((f: { secretRef?: { name: string } }) => f.secretRef?.name).filter(Boolean) }).toEqual({ workload, secrets: ['failsoft-redis-secrets'] });
      expect({ workload, cli: containerEnv(objects, container).get('REDISCLI_AUTH') }).toEqual({ workload, cli: { secret: `failsoft-redis-secrets/${cli}` } });
    }
    const everything = [...objects, ...['front-door', 'load-balancer', 'production'].flatMap((o) => kustomize(`deploy/k8s/overlays/${o}`))];
    expect(everything.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([]);
  });

  it('takes each app pod\'s ZONE from its node\'s zone (components/zone-aware)', () => {
    for (const app of APPS) {
      const zone = podSpecOf(named('Deployment', app)).containers[0].env.find((e: { name: string }) => e.name === 'ZONE');
      expect(zone).toEqual({ name: 'ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } } });
    }
    expect(named('Service', 'gateway').spec.trafficDistribution).toBe('PreferClose');
  });

  it('denies traffic by default and allows the platform\'s own paths (components/network-policies)', () => {
    const policies = ofKind('NetworkPolicy');
    const deny = policies.find((p) => p.metadata.name === 'failsoft-default-deny');
    expect(deny?.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'failsoft' } }, policyTypes: ['Ingress', 'Egress'] });
    const allowedPorts = (labels: Record<string, string>): number[] =>
      policies
        .filter((p) => p !== deny && selects(p.spec.podSelector.matchLabels, labels) && p.spec.policyTypes.includes('Ingress'))
        .flatMap((p) => p.spec.ingress.flatMap((rule: { ports?: Array<{ port: number }> }) => (rule.ports ?? []).map((port) => port.port)));
    for (const workload of workloads()) {
      const labels = workload.spec.template.metadata.labels;
      expect(labels['app.kubernetes.io/part-of']).toBe('failsoft');
      const ports = podSpecOf(workload).containers.flatMap((c: { ports: Array<{ containerPort: number }> }) => c.ports.map((p) => p.containerPort));
      expect({ workload: workload.metadata.name, open: ports.every((port: number) => allowedPorts(labels).includes(port)) }).toEqual({ workload: workload.metadata.name, open: true });
    }
  });

  it('uses images pinned to a version (failsoft) or to a tag and digest (third-party)', () => {
    expect(imageRule(objects)).toEqual([]);
    expect(podSpecOf(named('StatefulSet', 'redis')).containers[0].image).toMatch(/^redis:7\.2-bookworm@sha256:[0-9a-f]{64}$/);
  });

  it('renders its base on its own', () => {
    const base = kustomize('deploy/k8s/base');
    const replicas = Object.fromEntries(base.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o.spec.replicas]));
    expect(replicas).toEqual(Object.fromEntries(APPS.map((app) => [app, catalogueEntry(app).instances])));
  });

  it('ships the same Redis configs, entrypoint and hand-over script as docker-compose.yml (deploy/redis)', () => {
    for (const file of ['redis.conf', 'sentinel.conf', 'entrypoint.sh', 'handover.sh', 'users.acl']) {
      const original = readFileSync(join(workspace, 'deploy', 'redis', file), 'utf8');
      const copy = readFileSync(join(workspace, 'deploy', 'k8s', 'base', 'redis', 'config', file), 'utf8');
      expect({ file, same: copy === original }).toEqual({ file, same: true });
    }
  });
});
