import { podSpecOf, selects, type K8sObject } from './k8s';
import { quantityBytes, quantityMillicores } from './k8s-quantity';
import { tlsSecretsRule } from './k8s-mtls-rules';

/**
 * Rules a rendering of deploy/k8s must keep to survive a real cluster, beyond what the schema
 * says. Each rule returns its violations (empty: kept), each naming the object and what is wrong,
 * so a spec can show that a rule fails on a manifest that breaks it.
 */
export type Rule = (objects: readonly K8sObject[]) => string[];

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are read loosely */

/** Where a container's environment variable comes from, resolved against the rendered ConfigMaps. */
export type EnvSource =
  | { readonly value: string }
  | { readonly resourceField: { readonly containerName?: string; readonly resource: string } }
  | { readonly fieldRef: string }
  | { readonly secret: string }
  | { readonly unresolved: string };

/** The object `kind/name` of a rendering, or undefined. */
export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** The container `name` of a workload. */
export function containerOf(workload: K8sObject | undefined, name: string): any {
  return podSpecOf(workload ?? ({} as K8sObject))?.containers?.find((c: { name: string }) => c.name === name);
}

/** The ConfigMap a workload refers to by its generated name (`redis-config-<hash>`), or undefined. */
function configMap(objects: readonly K8sObject[], name: string): K8sObject | undefined {
  return find(objects, 'ConfigMap', name);
}

/** A container's environment as the kubelet builds it: envFrom first, `env` entries win. */
export function containerEnv(objects: readonly K8sObject[], container: any): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const from of container?.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const data = name ? configMap(objects, name)?.data : undefined;
    if (!data) continue;
    for (const [key, value] of Object.entries(data)) env.set(`${from.prefix ?? ''}${key}`, { value: String(value) });
  }
  for (const entry of container?.env ?? []) {
    const from = entry.valueFrom;
    if (!from) env.set(entry.name, { value: String(entry.value ?? '') });
    else if (from.resourceFieldRef) env.set(entry.name, { resourceField: from.resourceFieldRef });
    else if (from.fieldRef) env.set(entry.name, { fieldRef: from.fieldRef.fieldPath });
    else if (from.secretKeyRef) env.set(entry.name, { secret: `${from.secretKeyRef.name}/${from.secretKeyRef.key}` });
    else if (from.configMapKeyRef) {
      const value = configMap(objects, from.configMapKeyRef.name)?.data?.[from.configMapKeyRef.key];
      env.set(entry.name, value === undefined ? { unresolved: `${from.configMapKeyRef.name}/${from.configMapKeyRef.key}` } : { value: String(value) });
    }
  }
  return env;
}

/** The string value of `name` in a resolved environment (undefined unless a plain value). */
export function envValue(env: Map<string, EnvSource>, name: string): string | undefined {
  const source = env.get(name);
  return source && 'value' in source ? source.value : undefined;
}

/** True when `source` is the container's own memory limit (resourceFieldRef limits.memory). */
function isOwnMemoryLimit(source: EnvSource | undefined, container: string): boolean {
  return source !== undefined && 'resourceField' in source && source.resourceField.resource === 'limits.memory' && (source.resourceField.containerName ?? container) === container;
}

/** Bytes of a Redis memory setting (`614mb`, `1gb`, `700000000`). */
function redisBytes(value: string): number {
  const match = /^([0-9]+)(b|k|kb|m|mb|g|gb)?$/i.exec(value.trim());
  if (!match) throw new Error(`not a Redis memory value: ${JSON.stringify(value)}`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[unit] as number;
  return Number(match[1]) * factor;
}

/**
 * The maxmemory deploy/redis/entrypoint.sh gives the Redis container: REDIS_MAXMEMORY, else
 * REDIS_MAXMEMORY_PERCENT (default 62) of MEMORY_LIMIT_BYTES when that is the container's own
 * memory limit (the same integer arithmetic as the script). Undefined when neither is set.
 */
export function effectiveMaxmemory(objects: readonly K8sObject[], container: any): number | undefined {
  const env = containerEnv(objects, container);
  const explicit = envValue(env, 'REDIS_MAXMEMORY');
  if (explicit !== undefined && explicit !== '') return redisBytes(explicit);
  if (!isOwnMemoryLimit(env.get('MEMORY_LIMIT_BYTES'), container.name)) return undefined;
  const limit = quantityBytes(container.resources?.limits?.memory);
  const percent = Number(envValue(env, 'REDIS_MAXMEMORY_PERCENT') ?? 62);
  return Math.floor(limit / 100) * percent;
}

/** Runs `check`, turning a thrown error into a violation. */
function guarded(what: string, check: () => string[]): string[] {
  try {
    return check();
  } catch (error) {
    return [`${what}: ${(error as Error).message}`];
  }
}

/**
 * How many times maxmemory the Redis data volume must hold at least. The persistence design
 * (deploy/redis/redis.conf: appendonly, `save`) peaks at four copies of the data: while an AOF
 * rewrite runs, the old base, its increment (grown to about the base before the rewrite
 * starts), the new base, and the RDB file of `save` (or, during a snapshot, the old RDB and the
 * one being written). docs/kubernetes.md states the same factor (deploy-e2e checks).
 */
export const VOLUME_PER_MAXMEMORY = 4;

/** Redis: requests = limits, maxmemory 60-70 % of the memory limit, noeviction, volume >= VOLUME_PER_MAXMEMORY x maxmemory. */
export const redisMemoryRule: Rule = (objects) =>
  guarded('StatefulSet/redis', () => {
    const set = find(objects, 'StatefulSet', 'redis');
    const redis = containerOf(set, 'redis');
    if (!redis) return ['StatefulSet/redis has no container "redis"'];
    const out: string[] = [];
    const { requests = {}, limits = {} } = redis.resources ?? {};
    const limit = quantityBytes(limits.memory);
    if (quantityBytes(requests.memory) !== limit) out.push(`redis: requests.memory ${requests.memory} must equal limits.memory ${limits.memory}`);
    if (quantityMillicores(requests.cpu) !== quantityMillicores(limits.cpu)) out.push(`redis: requests.cpu ${requests.cpu} must equal limits.cpu ${limits.cpu}`);
    const maxmemory = effectiveMaxmemory(objects, redis);
    if (maxmemory === undefined) return [...out, 'redis: maxmemory is not set (REDIS_MAXMEMORY, or MEMORY_LIMIT_BYTES from limits.memory)'];
    const share = maxmemory / limit;
    if (share < 0.6 || share > 0.7) out.push(`redis: maxmemory ${maxmemory} is ${(share * 100).toFixed(1)} % of the ${limits.memory} limit; keep it within 60-70 %`);
    const claim = set?.spec.volumeClaimTemplates?.find((t: any) => t.metadata?.name === 'data');
    const storage = quantityBytes(claim?.spec?.resources?.requests?.storage);
    if (storage < VOLUME_PER_MAXMEMORY * maxmemory) out.push(`redis: the data volume (${claim?.spec?.resources?.requests?.storage}) is below ${VOLUME_PER_MAXMEMORY}x maxmemory (${maxmemory} bytes)`);
    const conf = String(scriptsOf(objects, set)?.data?.['redis.conf'] ?? '');
    if (!/^maxmemory-policy noeviction$/m.test(conf)) out.push('redis.conf: maxmemory-policy must be noeviction (never drop the platform\'s state)');
    return out;
  });

/** The redis-scripts ConfigMap a Redis workload mounts. */
function scriptsOf(objects: readonly K8sObject[], set: K8sObject | undefined): K8sObject | undefined {
  const volume = (podSpecOf(set ?? ({} as K8sObject))?.volumes ?? []).find((v: any) => v.name === 'scripts');
  return volume?.configMap ? configMap(objects, volume.configMap.name) : undefined;
}

/** Redis and sentinels: one per node (hostname, DoNotSchedule, tainted nodes not counted), zones preferred; apps spread too. */
export const spreadRule: Rule = (objects) => {
  const out: string[] = [];
  for (const workload of objects.filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment')) {
    const name = `${workload.kind}/${workload.metadata.name}`;
    const own = (podSpecOf(workload).topologySpreadConstraints ?? []).filter((c: any) => selects(c.labelSelector?.matchLabels, workload.spec.template.metadata.labels));
    const byKey = (key: string) => own.find((c: any) => c.topologyKey === key);
    const zone = byKey('topology.kubernetes.io/zone');
    const host = byKey('kubernetes.io/hostname');
    if (!zone || !host) {
      out.push(`${name}: must spread its own pods over zones and nodes`);
      continue;
    }
    if (workload.kind !== 'StatefulSet') continue;
    if (host.whenUnsatisfiable !== 'DoNotSchedule' || host.maxSkew !== 1) out.push(`${name}: hostname spreading must be strict (maxSkew 1, DoNotSchedule): two on one node fail together`);
    if (host.nodeTaintsPolicy !== 'Honor') out.push(`${name}: hostname spreading must ignore nodes it cannot run on (nodeTaintsPolicy: Honor), or a tainted node blocks scheduling`);
    if (zone.whenUnsatisfiable !== 'ScheduleAnyway') out.push(`${name}: zone spreading must be a preference (ScheduleAnyway), or clusters without zones cannot schedule it`);
  }
  return out;
};

/** Every container has readiness, liveness and startup probes. */
export const probeRule: Rule = (objects) =>
  objects
    .filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment')
    .flatMap((w) => podSpecOf(w).containers.flatMap((c: any) => ['readinessProbe', 'livenessProbe', 'startupProbe'].filter((p) => !c[p]).map((p) => `${w.kind}/${w.metadata.name}/${c.name}: no ${p}`)));

/** Redis hands the master role over in a preStop hook that fits in the grace period; the gateway pauses before draining. */
export const preStopRule: Rule = (objects) => {
  const out: string[] = [];
  const set = find(objects, 'StatefulSet', 'redis');
  const redis = containerOf(set, 'redis');
  const command: string[] = redis?.lifecycle?.preStop?.exec?.command ?? [];
  const script = command.find((arg) => arg.endsWith('/handover.sh'));
  const mount = redis?.volumeMounts?.find((m: any) => m.name === 'scripts');
  if (!script || !mount || script !== `${mount.mountPath}/handover.sh`) out.push(`redis: the preStop hook must run handover.sh from the scripts volume; it runs ${JSON.stringify(command)}`);
  else if (scriptsOf(objects, set)?.data?.['handover.sh'] === undefined) out.push('redis: the scripts ConfigMap has no handover.sh');
  const timeout = Number(envValue(containerEnv(objects, redis), 'HANDOVER_TIMEOUT_SECONDS') ?? 20);
  const grace = podSpecOf(set ?? ({} as K8sObject))?.terminationGracePeriodSeconds ?? 30;
  if (!(grace >= timeout + 15)) out.push(`redis: terminationGracePeriodSeconds ${grace} must leave Redis 15 s to shut down after the ${timeout} s hand-over`);
  const gateway = containerOf(find(objects, 'Deployment', 'gateway'), 'gateway');
  if (!gateway?.lifecycle?.preStop?.exec) out.push('gateway: needs a preStop pause so endpoints drop it before it drains');
  return out;
};

/** The Redis and Sentinel pods carry only Redis's own ConfigMaps (an app setting must not roll them). */
export const redisConfigMapRule: Rule = (objects) => {
  const out: string[] = [];
  for (const name of ['redis', 'sentinel']) {
    for (const ref of configMapsReferenced(find(objects, 'StatefulSet', name))) {
      if (!/^redis-(config|scripts)-[a-z0-9]+$/.test(ref)) out.push(`StatefulSet/${name}: refers to ConfigMap ${ref}; only redis-config and redis-scripts may roll Redis`);
    }
  }
  return out;
};

/** Every ConfigMap name a workload's pod template refers to. */
export function configMapsReferenced(workload: K8sObject | undefined): string[] {
  const pod = podSpecOf(workload ?? ({} as K8sObject)) ?? {};
  const names = new Set<string>();
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    for (const from of c.envFrom ?? []) if (from.configMapRef) names.add(from.configMapRef.name);
    for (const env of c.env ?? []) if (env.valueFrom?.configMapKeyRef) names.add(env.valueFrom.configMapKeyRef.name);
  }
  for (const v of pod.volumes ?? []) if (v.configMap) names.add(v.configMap.name);
  return [...names].sort();
}

/** Third-party images by tag AND digest (`name:tag@sha256:...`); ours (`failsoft`) by a version tag (Jobs too). */
export const imageRule: Rule = (objects) =>
  objects
    .filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment' || o.kind === 'Job')
    .flatMap((w) => [...podSpecOf(w).containers, ...(podSpecOf(w).initContainers ?? [])].map((c: any) => ({ w, c })))
    .filter(({ c }) => {
      const image = String(c.image);
      const own = /^(?:[^/]+\/)*failsoft[:@]/.test(image);
      return own ? !/^[a-z0-9./:-]+:(?!latest$)[\w.-]+$/.test(image) : !/^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/.test(image);
    })
    .map(({ w, c }) => `${w.kind}/${w.metadata.name}/${c.name}: image ${c.image} must be pinned (third-party: name:tag@sha256:<digest>; failsoft: a version tag)`);

/** Redis and Sentinel pods are created in parallel (a stuck pod 0 must not hold the others back). */
export const parallelRule: Rule = (objects) =>
  ['redis', 'sentinel']
    .map((name) => find(objects, 'StatefulSet', name))
    .filter((set) => set?.spec.podManagementPolicy !== 'Parallel')
    .map((set) => `StatefulSet/${set?.metadata.name}: podManagementPolicy must be Parallel; it is ${set?.spec.podManagementPolicy ?? 'OrderedReady (the default)'}`);

/** Every disruption budget lets unhealthy pods be evicted (an outage never blocks a drain). */
export const pdbRule: Rule = (objects) =>
  objects
    .filter((o) => o.kind === 'PodDisruptionBudget' && o.spec.unhealthyPodEvictionPolicy !== 'AlwaysAllow')
    .map((o) => `PodDisruptionBudget/${o.metadata.name}: unhealthyPodEvictionPolicy must be AlwaysAllow`);

/** redis-config agrees with the apps' failsoft-config and with the StatefulSets. */
export const redisSettingsRule: Rule = (objects) => {
  const redis = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-config-'))?.data ?? {};
  const apps = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('failsoft-config-'))?.data ?? {};
  const out: string[] = [];
  if (redis['SENTINELS'] !== apps['REDIS_SENTINELS']) out.push(`redis-config SENTINELS (${redis['SENTINELS']}) differs from failsoft-config REDIS_SENTINELS (${apps['REDIS_SENTINELS']})`);
  if (redis['REDIS_MASTER_NAME'] !== apps['REDIS_MASTER_NAME']) out.push(`redis-config REDIS_MASTER_NAME (${redis['REDIS_MASTER_NAME']}) differs from failsoft-config's (${apps['REDIS_MASTER_NAME']})`);
  for (const [name, port, key] of [['redis', 6379, 'REDIS_NODES'], ['sentinel', 26379, 'SENTINELS']] as const) {
    const set = find(objects, 'StatefulSet', name);
    const expected = Array.from({ length: set?.spec.replicas ?? 0 }, (_, i) => `${name}-${i}.${set?.spec.serviceName}:${port}`).join(',');
    if (set?.spec.replicas !== undefined && redis[key] !== expected) out.push(`redis-config ${key} (${redis[key]}) must list every pod of StatefulSet/${name}: ${expected}`);
  }
  if (!String(redis['REDIS_NODES'] ?? '').split(',').includes(`${redis['INITIAL_MASTER_HOST']}:6379`)) out.push(`redis-config INITIAL_MASTER_HOST (${redis['INITIAL_MASTER_HOST']}) is not one of REDIS_NODES`);
  return out;
};

/** Apps listen on every IPv4 and IPv6 address; upload and gateway know their memory limit. */
export const appEnvRule: Rule = (objects) => {
  const out: string[] = [];
  for (const app of objects.filter((o) => o.kind === 'Deployment')) {
    const container = podSpecOf(app).containers[0];
    const env = containerEnv(objects, container);
    if (envValue(env, 'BIND_HOST') !== '::') out.push(`Deployment/${app.metadata.name}: BIND_HOST must be "::" (dual stack, IPv6-only clusters); it is ${JSON.stringify(envValue(env, 'BIND_HOST'))}`);
    if (['upload', 'gateway'].includes(app.metadata.name) && !isOwnMemoryLimit(env.get('MEMORY_LIMIT_BYTES'), container.name)) {
      out.push(`Deployment/${app.metadata.name}: MEMORY_LIMIT_BYTES must come from its own limits.memory (its concurrency is derived from it)`);
    }
  }
  return out;
};

/** Whether a NetworkPolicy restricts egress (policyTypes defaults to Ingress, plus Egress when it has egress rules). */
function restrictsEgress(policy: K8sObject): boolean {
  const types: string[] = policy.spec.policyTypes ?? ['Ingress', ...(policy.spec.egress ? ['Egress'] : [])];
  return types.includes('Egress');
}

/** With network policies that restrict egress, DNS is allowed out on 53 and 5353, UDP and TCP (ingress-only policies block no DNS). */
export const dnsRule: Rule = (objects) => {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  if (!policies.some(restrictsEgress)) return [];
  const allowed = new Set(policies.flatMap((p) => (p.spec.egress ?? []).filter((rule: any) => !rule.to).flatMap((rule: any) => (rule.ports ?? []).map((port: any) => `${port.protocol ?? 'TCP'}/${port.port}`))));
  return ['UDP/53', 'TCP/53', 'UDP/5353', 'TCP/5353'].filter((p) => !allowed.has(p)).map((p) => `NetworkPolicy: DNS egress on ${p} is not allowed`);
};

/** The rules every rendering must keep, by name. */
export const UNIVERSAL_RULES: Readonly<Record<string, Rule>> = {
  redisMemory: redisMemoryRule,
  spread: spreadRule,
  probes: probeRule,
  preStop: preStopRule,
  redisConfigMaps: redisConfigMapRule,
  images: imageRule,
  parallel: parallelRule,
  pdb: pdbRule,
  redisSettings: redisSettingsRule,
  appEnv: appEnvRule,
  dns: dnsRule,
  tlsSecrets: tlsSecretsRule,
};

/** Violations of every universal rule (only rules with violations are listed). */
export function violations(objects: readonly K8sObject[]): Record<string, string[]> {
  return Object.fromEntries(Object.entries(UNIVERSAL_RULES).map(([name, rule]) => [name, rule(objects)] as const).filter(([, found]) => found.length > 0));
}

/** What front door a rendering has: an Ingress to the gateway Service, and/or that Service as a LoadBalancer. */
export function frontDoorOf(objects: readonly K8sObject[]): { ingress: boolean; loadBalancer: boolean; problems: string[] } {
  const service = find(objects, 'Service', 'gateway');
  const ports = (service?.spec.ports ?? []).flatMap((p: any) => [p.name, p.port]);
  const problems: string[] = [];
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  for (const ingress of ingresses) {
    const backends = (ingress.spec.rules ?? []).flatMap((r: any) => r.http?.paths ?? []).map((p: any) => p.backend?.service);
    if (backends.length === 0 || !backends.every((b: any) => b?.name === 'gateway' && ports.includes(b.port?.name ?? b.port?.number))) {
      problems.push(`Ingress/${ingress.metadata.name}: every path must go to a port of Service/gateway`);
    }
    const bodySize = ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'];
    if (!bodySize || quantityBytes(String(bodySize).replace(/m$/, 'Mi')) <= 10 * 2 ** 20) problems.push(`Ingress/${ingress.metadata.name}: proxy-body-size must exceed the 10 MiB upload cap`);
  }
  return { ingress: ingresses.length > 0, loadBalancer: service?.spec.type === 'LoadBalancer', problems };
}
