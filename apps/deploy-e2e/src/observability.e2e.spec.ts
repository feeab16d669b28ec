import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kustomize, podSpecOf, validateWithKubernetesModels, type K8sObject } from './support/k8s';
import { workspace } from './support/tools';

/**
 * deploy/observability and deploy/k8s/components/observability: the Grafana dashboards have what a
 * dashboard JSON model needs (Grafana's schema essentials), the component renders (overlays/observability),
 * its ConfigMaps carry the dashboards under the Grafana sidecar label, its PodMonitors reach every app
 * pod's metrics port, and its NetworkPolicy opens exactly those ports to the monitoring namespace.
 * (Every PromQL of the dashboards is checked against a real scrape in platform-e2e observability.)
 */

const DASHBOARDS = join(workspace, 'deploy', 'observability', 'grafana', 'dashboards');
const APPS = ['gateway', 'upload', 'likes', 'feed'];
const PANEL_TYPES = new Set(['timeseries', 'stat', 'gauge', 'table', 'bargauge', 'text', 'row', 'heatmap']);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Problems of one dashboard JSON model against Grafana's dashboard schema essentials. */
function dashboardProblems(name: string, d: Json): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => void (ok || problems.push(`${name}: ${what}`));
  need(typeof d.uid === 'string' && /^[a-zA-Z0-9_-]{1,40}$/.test(d.uid), 'uid must be 1-40 of [a-zA-Z0-9_-]');
  need(typeof d.title === 'string' && d.title.length > 0, 'title must be a non-empty string');
  need(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 30, 'schemaVersion must be an integer >= 30');
  need(Array.isArray(d.panels) && d.panels.length > 0, 'panels must be a non-empty array');
  need(Array.isArray(d.templating?.list), 'templating.list must be an array');
  need(typeof d.time?.from === 'string' && typeof d.time?.to === 'string', 'time.from / time.to must be strings');
  const variables = new Set((d.templating?.list ?? []).map((v: Json) => v.name));
  const ids = new Set<number>();
  for (const p of d.panels ?? []) {
    const at = `${name} panel ${JSON.stringify(p.title)}`;
    if (!Number.isInteger(p.id) || ids.has(p.id)) problems.push(`${at}: id must be a unique integer`);
    ids.add(p.id);
    if (!PANEL_TYPES.has(p.type)) problems.push(`${at}: unknown type ${p.type}`);
    const g = p.gridPos;
    if (!g || ![g.h, g.w, g.x, g.y].every((n) => Number.isInteger(n) && n >= 0) || g.w < 1 || g.w > 24 || g.x + g.w > 24) problems.push(`${at}: gridPos must be integers within 24 columns`);
    const uid = p.datasource?.uid;
    if (p.datasource?.type !== 'prometheus' || (typeof uid === 'string' && uid.startsWith('${') && !variables.has(uid.slice(2, -1)))) problems.push(`${at}: datasource must be prometheus (a declared variable)`);
    const refIds = (p.targets ?? []).map((t: Json) => t.refId);
    if (refIds.length === 0 || new Set(refIds).size !== refIds.length) problems.push(`${at}: targets need distinct refIds`);
    for (const t of p.targets ?? []) if (typeof t.expr !== 'string' || t.expr.trim() === '') problems.push(`${at}: target ${t.refId} has no expr`);
  }
  return problems;
}

describe('observability deployment', () => {
  const files = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'));
  const dashboards = Object.fromEntries(files.map((f) => [f, JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8')) as Json]));
  let objects: K8sObject[];

  beforeAll(() => {
    objects = kustomize('deploy/k8s/overlays/observability');
  });

  it('has the overview, resilience and Redis dashboards, each a well-formed Grafana dashboard model', () => {
    expect(files.sort()).toEqual(['failsoft-overview.json', 'failsoft-redis.json', 'failsoft-resilience.json']);
    expect(Object.entries(dashboards).flatMap(([f, d]) => dashboardProblems(f, d))).toEqual([]);
    expect(new Set(Object.values(dashboards).map((d) => d.uid)).size).toBe(files.length);
  });

  it('catches a broken dashboard (so the check above can fail)', () => {
    const broken = JSON.parse(JSON.stringify(dashboards['failsoft-overview.json'])) as Json;
    broken.panels[1].id = broken.panels[0].id;
    broken.panels[0].gridPos.w = 30;
    delete broken.panels[2].targets[0].expr;
    expect(dashboardProblems('broken', broken)).toEqual([
      expect.stringMatching(/gridPos/),
      expect.stringMatching(/id must be a unique integer/),
      expect.stringMatching(/has no expr/),
    ]);
  });

  it('renders overlays/observability: the dashboards as ConfigMaps with the Grafana sidecar label, identical to deploy/observability', () => {
    const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'failsoft-dashboards') as K8sObject;
    expect(map.metadata.labels?.['grafana_dashboard']).toBe('1');
    expect(Object.keys(map['data']).sort()).toEqual(files.sort());
    for (const f of files) expect(JSON.parse(map['data'][f])).toEqual(dashboards[f]);
    const results = validateWithKubernetesModels(objects.filter((o) => o.kind !== 'PodMonitor'));
    expect(results.filter((r) => r.errors.length > 0).map((r) => `${r.kind}/${r.name}: ${r.errors.join('; ')}`)).toEqual([]);
  });

  it('PodMonitors scrape the port serving /metrics of every app pod (the gateways\' admin port), labelled like the local Prometheus', () => {
    const monitors = objects.filter((o) => o.kind === 'PodMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(['failsoft-gateway', 'failsoft-grpc-services']);
    for (const app of APPS) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === app) as K8sObject;
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      const selecting = monitors.filter((m) => m.spec.selector.matchExpressions.every((e: { key: string; operator: string; values: string[] }) => e.operator === 'In' && e.values.includes(labels[e.key])));
      expect({ app, monitors: selecting.length }).toEqual({ app, monitors: 1 });
      const [monitor] = selecting;
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      const endpoint = monitor.spec.podMetricsEndpoints[0];
      expect(endpoint).toMatchObject({ path: '/metrics', honorLabels: true });
      expect(endpoint.relabelings.map((r: { targetLabel: string }) => r.targetLabel).sort()).toEqual(['app', 'instance', 'instance_id', 'service', 'zone']);
      const container = podSpecOf(deployment).containers[0];
      const port = container.ports.find((p: { name: string }) => p.name === endpoint.port);
      expect({ app, port: endpoint.port, found: port !== undefined }).toEqual({ app, port: endpoint.port, found: true });
      // the port that serves /metrics: ADMIN_PORT when the app sets it, else HTTP_PORT
      const env = (name: string): string | undefined => container.env.find((e: { name: string; value?: string }) => e.name === name)?.value;
      expect({ app, port: port.containerPort }).toEqual({ app, port: Number(env('ADMIN_PORT') || env('HTTP_PORT') || 8080) });
    }
  });

  it('lets the monitoring namespace reach the metrics ports (8080, the gateways\' 9090) of every app pod, and nothing else', () => {
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'failsoft-allow-monitoring') as K8sObject;
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 9090 }] },
    ]);
    const expression = policy.spec.podSelector.matchExpressions[0];
    for (const app of APPS) expect(expression.values).toContain(app);
  });
});
