import { PLATFORM_SERVICE_NAMES } from '@failsoft/contracts';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { kustomize, podSpecOf, type K8sObject } from './support/k8s';
import { containerOf, effectiveMaxmemory, find, frontDoorOf, UNIVERSAL_RULES, violations } from './support/k8s-rules';
import { quantityBytes } from './support/k8s-quantity';
import { workspace } from './support/tools';
import { appsWithoutMtls, secretsWrittenBy } from './support/k8s-mtls-rules';

/**
 * The rules that make deploy/k8s survive a real cluster (support/k8s-rules.ts), checked on every
 * overlay and on combinations of the components over the base: Redis sized to its limit,
 * strict spreading of Redis and the sentinels, probes, the hand-over preStop, which ConfigMaps roll
 * Redis, pinned images, Parallel pod management, eviction of unhealthy pods, DNS egress, and the
 * front door where one is asked for. The negative controls at the end show each rule failing.
 */
const COMPONENTS = ['zone-aware', 'hpa', 'network-policies', 'ingress', 'load-balancer', 'production-timing'] as const;
/**
 * Components added after the full matrix above: each would double it. They are checked instead,
 * alone and together, over a representative subset of the others: none, the older defaults, and
 * all six. What they touch is covered there: the two mTLS makers (mtls-job, mtls-cert-manager)
 * bring mtls-apps, which patches the app Deployments' env, volumes and readiness probes (the probes,
 * appEnv and tlsSecrets rules; hpa and zone-aware patch the same Deployments), mtls-job adds a Job
 * and a NetworkPolicy (the images and dns rules); observability adds a NetworkPolicy and
 * PodMonitors (the dns rule meets it next to components/network-policies' default deny). The two
 * makers are alternatives (the same Secrets), so no combination lists both.
 */
const NEWER_COMPONENTS = ['mtls-job', 'mtls-cert-manager', 'observability'] as const;
const MTLS_MAKERS = ['mtls-job', 'mtls-cert-manager'];
/** Components that are parts of others (mtls-apps: of both mTLS makers), never listed alone. */
const PARTS = ['mtls-apps'] as const;
/** The components of deploy/k8s/kustomization.yaml before mTLS (every overlay builds on them). */
const OLDER_DEFAULTS = ['zone-aware', 'hpa', 'network-policies'];
/** The components deploy/k8s/kustomization.yaml applies: mTLS on by default, certificates from the Job. */
const DEFAULT_COMPONENTS = [...OLDER_DEFAULTS, 'mtls-job'];
const REPRESENTATIVE_SUBSETS: ReadonlyArray<readonly string[]> = [[], OLDER_DEFAULTS, COMPONENTS];
/** The subsets of NEWER_COMPONENTS that are checked: every non-empty one with at most one mTLS maker. */
const NEWER_CHOICES = Array.from({ length: 2 ** NEWER_COMPONENTS.length - 1 }, (_, i) => NEWER_COMPONENTS.filter((_, bit) => (i + 1) & (1 << bit))).filter(
  (choice) => choice.filter((c) => MTLS_MAKERS.includes(c)).length <= 1,
);
/** Every overlay in deploy/k8s/overlays, read from the folder: a new overlay cannot be left out. */
const OVERLAYS = readdirSync(join(workspace, 'deploy', 'k8s', 'overlays'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => `overlays/${entry.name}`)
  .sort();

interface Rendering {
  readonly name: string;
  readonly components: readonly string[];
  readonly objects: K8sObject[];
}

/** The components a kustomization file lists (`../../components/<name>` entries), in order. */
function componentsOf(dir: string): string[] {
  const text = readFileSync(join(workspace, dir, 'kustomization.yaml'), 'utf8');
  return [...text.matchAll(/^\s+-\s+\S*components\/([\w-]+)\s*$/gm)].map((m) => m[1]);
}

/** The components an overlay renders with: those of the sibling overlays it builds on (`- ../<overlay>`), then its own. */
function overlayComponentsOf(dir: string): string[] {
  const text = readFileSync(join(workspace, dir, 'kustomization.yaml'), 'utf8');
  const bases = [...text.matchAll(/^\s+-\s+\.\.\/([\w-]+)\s*$/gm)].map((m) => m[1]);
  return [...bases.flatMap((base) => overlayComponentsOf(join(dir, '..', base))), ...componentsOf(dir)];
}

describe('deploy/k8s rules in every overlay and every combination of components', () => {
  let scratch: string;
  const renderings: Rendering[] = [];

  /** Renders the base with `components`, through a kustomization written in the scratch folder. */
  function renderCombination(components: readonly string[], extra = ''): K8sObject[] {
    const dir = join(scratch, components.length ? components.join('+') : 'none', extra ? 'extra' : '');
    mkdirSync(dir, { recursive: true });
    const k8s = relative(dir, join(workspace, 'deploy', 'k8s'));
    const lines = ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', `  - ${k8s}/base`];
    if (components.length) lines.push('components:', ...components.map((c) => `  - ${k8s}/components/${c}`));
    writeFileSync(join(dir, 'kustomization.yaml'), `${lines.join('\n')}\n${extra}`);
    return kustomize(relative(workspace, dir));
  }

  beforeAll(() => {
    mkdirSync(join(workspace, 'tmp'), { recursive: true });
    scratch = mkdtempSync(join(workspace, 'tmp', 'deploy-e2e-k8s-'));
    for (let mask = 0; mask < 2 ** COMPONENTS.length; mask++) {
      const components = COMPONENTS.filter((_, i) => mask & (1 << i));
      renderings.push({ name: `base + [${components.join(', ')}]`, components, objects: renderCombination(components) });
    }
    for (const newer of NEWER_CHOICES) {
      for (const subset of REPRESENTATIVE_SUBSETS) {
        const components = [...subset, ...newer];
        renderings.push({ name: `base + [${components.join(', ')}]`, components, objects: renderCombination(components) });
      }
    }
    renderings.push({ name: 'deploy/k8s', components: componentsOf('deploy/k8s'), objects: kustomize('deploy/k8s') });
    for (const overlay of OVERLAYS) {
      renderings.push({ name: `deploy/k8s/${overlay}`, components: overlayComponentsOf(`deploy/k8s/${overlay}`), objects: kustomize(`deploy/k8s/${overlay}`) });
    }
  }, 120_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('renders all 64 combinations of the older components, the newer ones (one mTLS maker at most) over a representative subset, and every overlay', () => {
    expect(NEWER_CHOICES).toHaveLength(5);
    const newer = NEWER_CHOICES.length * REPRESENTATIVE_SUBSETS.length;
    expect(renderings).toHaveLength(2 ** COMPONENTS.length + newer + 1 + OVERLAYS.length);
    for (const r of renderings) expect({ r: r.name, workloads: r.objects.filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment').length }).toEqual({ r: r.name, workloads: 6 });
  });

  it('builds every overlay on the same components as deploy/k8s', () => {
    expect(componentsOf('deploy/k8s')).toEqual(DEFAULT_COMPONENTS);
    expect(componentsOf('deploy/k8s/overlays/front-door')).toEqual([...DEFAULT_COMPONENTS, 'ingress']);
    expect(componentsOf('deploy/k8s/overlays/load-balancer')).toEqual([...DEFAULT_COMPONENTS, 'load-balancer']);
    // production lists its own (not ../front-door: that brings the Job): cert-manager makes the certificates
    expect(componentsOf('deploy/k8s/overlays/production')).toEqual([...OLDER_DEFAULTS, 'ingress', 'production-timing', 'mtls-cert-manager']);
    expect(componentsOf('deploy/k8s/overlays/observability')).toEqual(['observability']);
    // each overlay renders with the components of the overlay it builds on
    expect(overlayComponentsOf('deploy/k8s/overlays/observability')).toEqual([...DEFAULT_COMPONENTS, 'ingress', 'observability']);
  });

  it('renders every overlay of deploy/k8s/overlays (read from the folder), observability among them', () => {
    expect(OVERLAYS).toEqual(expect.arrayContaining(['overlays/front-door', 'overlays/load-balancer', 'overlays/observability', 'overlays/production']));
    expect(renderings.map((r) => r.name)).toEqual(expect.arrayContaining(OVERLAYS.map((overlay) => `deploy/k8s/${overlay}`)));
    // every component in deploy/k8s/components is in the matrix or combined with a representative subset
    const components = readdirSync(join(workspace, 'deploy', 'k8s', 'components')).sort();
    expect(components).toEqual([...COMPONENTS, ...NEWER_COMPONENTS, ...PARTS].sort());
  });

  it('the observability overlay keeps every universal rule, with its PodMonitors and scrape NetworkPolicy rendered', () => {
    const observability = renderings.find((r) => r.name === 'deploy/k8s/overlays/observability') as Rendering;
    expect(observability.objects.filter((o) => o.kind === 'PodMonitor').length).toBeGreaterThan(0);
    expect(observability.objects.filter((o) => o.kind === 'NetworkPolicy').length).toBeGreaterThan(1);
    expect(violations(observability.objects)).toEqual({});
  });

  it.each(Object.keys(UNIVERSAL_RULES))('keeps the rule "%s" in every rendering', (rule) => {
    const broken = renderings.map((r) => ({ rendering: r.name, violations: UNIVERSAL_RULES[rule](r.objects) })).filter((r) => r.violations.length > 0);
    expect(broken).toEqual([]);
  });

  it('has a front door exactly where one is asked for: an Ingress (components/ingress), a LoadBalancer (components/load-balancer)', () => {
    for (const r of renderings) {
      const door = frontDoorOf(r.objects);
      expect({ r: r.name, ...door }).toEqual({ r: r.name, ingress: r.components.includes('ingress'), loadBalancer: r.components.includes('load-balancer'), problems: [] });
    }
  });

  it('sets the production Sentinel timings exactly where components/production-timing is', () => {
    for (const r of renderings) {
      const data = r.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-config-'))?.data ?? {};
      const timings = { downAfter: data['SENTINEL_DOWN_AFTER_MS'], failoverTimeout: data['SENTINEL_FAILOVER_TIMEOUT_MS'] };
      const expected = r.components.includes('production-timing') ? { downAfter: '5000', failoverTimeout: '30000' } : { downAfter: undefined, failoverTimeout: undefined };
      expect({ r: r.name, ...timings }).toEqual({ r: r.name, ...expected });
    }
  });

  it('turns mTLS on for every app exactly where a maker is listed: the Job (mtls-job) or cert-manager (mtls-cert-manager), never both', () => {
    for (const r of renderings) {
      const job = r.components.includes('mtls-job');
      const certManager = r.components.includes('mtls-cert-manager');
      const found = {
        r: r.name,
        job: r.objects.some((o) => o.kind === 'Job' && secretsWrittenBy(o).length > 0),
        certificates: r.objects.some((o) => o.kind === 'Certificate'),
        withoutMtls: appsWithoutMtls(r.objects, PLATFORM_SERVICE_NAMES),
      };
      expect(found).toEqual({ r: r.name, job, certificates: certManager, withoutMtls: job || certManager ? [] : [...PLATFORM_SERVICE_NAMES] });
    }
    // deploy/k8s and every overlay have it on: production with cert-manager, the others with the Job
    for (const r of renderings.filter((x) => x.name.startsWith('deploy/k8s'))) {
      expect({ r: r.name, maker: MTLS_MAKERS.filter((m) => r.components.includes(m)) }).toEqual({ r: r.name, maker: [r.name.endsWith('/production') ? 'mtls-cert-manager' : 'mtls-job'] });
    }
  });

  it('a rendering with both makers, or with the app side alone, breaks the tlsSecrets rule (rendered for real)', () => {
    const both = renderCombination([...OLDER_DEFAULTS, ...MTLS_MAKERS]);
    expect(UNIVERSAL_RULES['tlsSecrets'](both).join('\n')).toMatch(/Secret likes-grpc-tls has 2 makers \(Certificate\/likes-grpc-tls, Job\/failsoft-certs\)/);
    expect(UNIVERSAL_RULES['tlsSecrets'](renderCombination(['mtls-apps'])).join('\n')).toMatch(/Deployment\/feed: mounts Secret feed-grpc-tls, which nothing makes/);
  });

  it('`kubectl kustomize deploy/k8s`: maxmemory below the Redis memory limit, Parallel; the front-door overlay has an Ingress', () => {
    const root = renderings.find((r) => r.name === 'deploy/k8s') as Rendering;
    const set = find(root.objects, 'StatefulSet', 'redis') as K8sObject;
    const redis = containerOf(set, 'redis');
    const limit = quantityBytes(redis.resources.limits.memory);
    const maxmemory = effectiveMaxmemory(root.objects, redis) as number;
    expect(maxmemory).toBeLessThan(limit);
    expect(maxmemory / limit).toBeCloseTo(0.62, 2);
    expect(set.spec.podManagementPolicy).toBe('Parallel');
    const frontDoor = renderings.find((r) => r.name === 'deploy/k8s/overlays/front-door') as Rendering;
    expect(frontDoor.objects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name)).toEqual(['gateway']);
  });

  it('never rolls Redis or the sentinels when an app setting changes (LOG_LEVEL), but does when Redis\'s own settings do', () => {
    const before = renderCombination(DEFAULT_COMPONENTS);
    const logLevel = renderCombination(DEFAULT_COMPONENTS, 'configMapGenerator:\n  - name: failsoft-config\n    behavior: merge\n    literals: [LOG_LEVEL=debug]\n');
    const template = (objects: K8sObject[], kind: string, name: string) => JSON.stringify(find(objects, kind, name)?.spec.template);
    expect(template(logLevel, 'StatefulSet', 'redis')).toBe(template(before, 'StatefulSet', 'redis'));
    expect(template(logLevel, 'StatefulSet', 'sentinel')).toBe(template(before, 'StatefulSet', 'sentinel'));
    // the comparison can fail: the apps do roll (new ConfigMap name in their pod template) ...
    expect(template(logLevel, 'Deployment', 'gateway')).not.toBe(template(before, 'Deployment', 'gateway'));
    // ... and so do the sentinels when their own timings change
    const timed = renderCombination([...DEFAULT_COMPONENTS, 'production-timing']);
    expect(template(timed, 'StatefulSet', 'sentinel')).not.toBe(template(before, 'StatefulSet', 'sentinel'));
  });
});

describe('each rule fails on a manifest that breaks it (negative controls)', () => {
  let good: K8sObject[];
  /** A copy of the production overlay with `change` applied. */
  const broken = (change: (objects: K8sObject[]) => void): K8sObject[] => {
    const copy = structuredClone(good);
    change(copy);
    return copy;
  };
  const container = (objects: K8sObject[], kind: string, name: string) => podSpecOf(find(objects, kind, name) as K8sObject).containers[0];
  const redisConfig = (objects: K8sObject[]) => (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-config-')) as K8sObject).data;
  const redisScripts = (objects: K8sObject[]) => (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-scripts-')) as K8sObject).data;
  const zoneSpread = (objects: K8sObject[], set: string) =>
    podSpecOf(find(objects, 'StatefulSet', set) as K8sObject).topologySpreadConstraints.find((c: { topologyKey: string }) => c.topologyKey === 'topology.kubernetes.io/zone');

  beforeAll(() => {
    good = kustomize('deploy/k8s/overlays/production');
  });

  it('the production overlay keeps every rule (the baseline of the controls)', () => {
    expect(violations(good)).toEqual({});
  });

  const controls: Array<[string, string, (objects: K8sObject[]) => void, RegExp]> = [
    ['redisMemory', 'maxmemory at 90 % of the limit', (o) => (redisConfig(o)['REDIS_MAXMEMORY_PERCENT'] = '90'), /maxmemory \d+ is 90\.0 % of the 1Gi limit/],
    ['redisMemory', 'no maxmemory (the OOM kill before a refused write)', (o) => (container(o, 'StatefulSet', 'redis').env = container(o, 'StatefulSet', 'redis').env.filter((e: { name: string }) => e.name !== 'MEMORY_LIMIT_BYTES')), /maxmemory is not set/],
    ['redisMemory', 'a request below the limit', (o) => (container(o, 'StatefulSet', 'redis').resources.requests.memory = '256Mi'), /requests\.memory 256Mi must equal limits\.memory 1Gi/],
    ['redisMemory', 'an evicting policy (allkeys-lru)', (o) => (redisScripts(o)['redis.conf'] = redisScripts(o)['redis.conf'].replace(/^maxmemory-policy noeviction$/m, 'maxmemory-policy allkeys-lru')), /redis\.conf: maxmemory-policy must be noeviction/],
    ['redisMemory', 'a CPU request below the limit', (o) => (container(o, 'StatefulSet', 'redis').resources.requests.cpu = '100m'), /redis: requests\.cpu 100m must equal limits\.cpu 500m/],
    ['redisMemory', 'a 2Gi volume (3x maxmemory: no room for the RDB file during an AOF rewrite)', (o) => (find(o, 'StatefulSet', 'redis') as K8sObject).spec.volumeClaimTemplates[0].spec.resources.requests.storage = '2Gi', /the data volume \(2Gi\) is below 4x maxmemory/],
    ['redisMemory', 'a 1Gi volume', (o) => (find(o, 'StatefulSet', 'redis') as K8sObject).spec.volumeClaimTemplates[0].spec.resources.requests.storage = '1Gi', /below 4x maxmemory/],
    ['spread', 'sentinels spread with ScheduleAnyway', (o) => (podSpecOf(find(o, 'StatefulSet', 'sentinel') as K8sObject).topologySpreadConstraints[1].whenUnsatisfiable = 'ScheduleAnyway'), /StatefulSet\/sentinel: hostname spreading must be strict/],
    ['spread', 'tainted nodes counted', (o) => delete podSpecOf(find(o, 'StatefulSet', 'redis') as K8sObject).topologySpreadConstraints[1].nodeTaintsPolicy, /StatefulSet\/redis: .*nodeTaintsPolicy: Honor/],
    ['spread', 'Redis zones required (DoNotSchedule)', (o) => (zoneSpread(o, 'redis').whenUnsatisfiable = 'DoNotSchedule'), /StatefulSet\/redis: zone spreading must be a preference \(ScheduleAnyway\)/],
    ['spread', 'sentinel zones required (DoNotSchedule)', (o) => (zoneSpread(o, 'sentinel').whenUnsatisfiable = 'DoNotSchedule'), /StatefulSet\/sentinel: zone spreading must be a preference \(ScheduleAnyway\)/],
    ['probes', 'a sentinel without a startup probe', (o) => delete container(o, 'StatefulSet', 'sentinel').startupProbe, /StatefulSet\/sentinel\/sentinel: no startupProbe/],
    ['preStop', 'Redis without the hand-over', (o) => delete container(o, 'StatefulSet', 'redis').lifecycle, /the preStop hook must run handover\.sh/],
    ['preStop', 'a grace period the hand-over does not fit in', (o) => (podSpecOf(find(o, 'StatefulSet', 'redis') as K8sObject).terminationGracePeriodSeconds = 30), /terminationGracePeriodSeconds 30 must leave/],
    ['preStop', 'a gateway without its preStop pause', (o) => delete container(o, 'Deployment', 'gateway').lifecycle, /gateway: needs a preStop pause/],
    ['redisConfigMaps', 'Redis reading the apps\' ConfigMap', (o) => container(o, 'StatefulSet', 'redis').envFrom.push({ configMapRef: { name: (o.find((x) => x.metadata.name.startsWith('failsoft-config-')) as K8sObject).metadata.name } }), /StatefulSet\/redis: refers to ConfigMap failsoft-config-/],
    ['images', 'a moving tag', (o) => (container(o, 'StatefulSet', 'redis').image = 'redis:7.2-bookworm'), /StatefulSet\/redis\/redis: image redis:7\.2-bookworm must be pinned/],
    ['images', 'failsoft:latest', (o) => (container(o, 'Deployment', 'likes').image = 'failsoft:latest'), /Deployment\/likes\/likes: image failsoft:latest must be pinned/],
    ['parallel', 'OrderedReady', (o) => ((find(o, 'StatefulSet', 'redis') as K8sObject).spec.podManagementPolicy = 'OrderedReady'), /StatefulSet\/redis: podManagementPolicy must be Parallel; it is OrderedReady/],
    ['pdb', 'a budget that blocks drains during an outage', (o) => delete (find(o, 'PodDisruptionBudget', 'sentinel') as K8sObject).spec.unhealthyPodEvictionPolicy, /PodDisruptionBudget\/sentinel: unhealthyPodEvictionPolicy must be AlwaysAllow/],
    ['redisSettings', 'sentinel lists that disagree', (o) => (redisConfig(o)['SENTINELS'] = 'sentinel-0.sentinel:26379'), /redis-config SENTINELS \(sentinel-0\.sentinel:26379\) differs/],
    ['redisSettings', 'REDIS_NODES without redis-2', (o) => (redisConfig(o)['REDIS_NODES'] = 'redis-0.redis:6379,redis-1.redis:6379'), /redis-config REDIS_NODES \(redis-0\.redis:6379,redis-1\.redis:6379\) must list every pod of StatefulSet\/redis/],
    ['redisSettings', 'five sentinels, three listed', (o) => ((find(o, 'StatefulSet', 'sentinel') as K8sObject).spec.replicas = 5), /redis-config SENTINELS \(.*\) must list every pod of StatefulSet\/sentinel: .*sentinel-4\.sentinel:26379/],
    ['redisSettings', 'four Redis nodes, three listed', (o) => ((find(o, 'StatefulSet', 'redis') as K8sObject).spec.replicas = 4), /redis-config REDIS_NODES \(.*\) must list every pod of StatefulSet\/redis: .*redis-3\.redis:6379/],
    ['redisSettings', 'an initial master that is no node', (o) => (redisConfig(o)['INITIAL_MASTER_HOST'] = 'redis-9.redis'), /redis-config INITIAL_MASTER_HOST \(redis-9\.redis\) is not one of REDIS_NODES/],
    ['redisSettings', 'master names that disagree', (o) => (redisConfig(o)['REDIS_MASTER_NAME'] = 'other'), /redis-config REDIS_MASTER_NAME \(other\) differs from failsoft-config's \(failsoft\)/],
    ['appEnv', 'an IPv4-only bind', (o) => (container(o, 'Deployment', 'feed').env.find((e: { name: string }) => e.name === 'BIND_HOST').value = '0.0.0.0'), /Deployment\/feed: BIND_HOST must be "::"/],
    ['appEnv', 'upload without its memory limit', (o) => (container(o, 'Deployment', 'upload').env = container(o, 'Deployment', 'upload').env.filter((e: { name: string }) => e.name !== 'MEMORY_LIMIT_BYTES')), /Deployment\/upload: MEMORY_LIMIT_BYTES/],
    ['dns', 'DNS on 53 only', (o) => (find(o, 'NetworkPolicy', 'failsoft-allow-dns') as K8sObject).spec.egress[0].ports.splice(2), /DNS egress on UDP\/5353 is not allowed/],
    ['tlsSecrets', 'gateway mounting the certificate of likes', (o) => (podSpecOf(find(o, 'Deployment', 'gateway') as K8sObject).volumes.find((v: { name: string }) => v.name === 'grpc-tls').secret.secretName = 'likes-grpc-tls'), /Deployment\/gateway: mounts likes-grpc-tls, not its own certificate gateway-grpc-tls/],
    ['tlsSecrets', 'no Certificate for feed', (o) => o.splice(o.indexOf(find(o, 'Certificate', 'feed-grpc-tls') as K8sObject), 1), /Deployment\/feed: mounts Secret feed-grpc-tls, which nothing makes/],
    ['dns', 'a default-deny egress policy without the DNS one', (o) => o.splice(o.indexOf(find(o, 'NetworkPolicy', 'failsoft-allow-dns') as K8sObject), 1), /DNS egress on UDP\/53 is not allowed/],
  ];

  it.each(controls)('%s fails on %s', (rule, _what, change, message) => {
    const found = UNIVERSAL_RULES[rule](broken(change));
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(message);
  });

  it('the front-door check fails on an Ingress to another Service and on the default 1 MiB body limit', () => {
    const wrong = broken((o) => {
      const ingress = find(o, 'Ingress', 'gateway') as K8sObject;
      ingress.spec.rules[0].http.paths[0].backend.service.name = 'likes';
      delete ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'];
    });
    expect(frontDoorOf(wrong).problems).toEqual(['Ingress/gateway: every path must go to a port of Service/gateway', 'Ingress/gateway: proxy-body-size must exceed the 10 MiB upload cap']);
  });
});
