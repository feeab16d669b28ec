import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describeRun, requireTool, run, workspace } from './tools';

/** A rendered Kubernetes object (loosely typed: the checks read what they need). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; [key: string]: any };

/** Renders a kustomization with `kubectl kustomize <dir>` (dir relative to the workspace). */
export function kustomize(dir: string): K8sObject[] {
  const kubectl = requireTool('kubectl');
  const result = run(kubectl, ['kustomize', dir]);
  if (result.status !== 0) {
    const tooOld = /unknown field "components"|unknown field "labels"/.test(result.stderr ?? '');
    throw new Error(
      describeRun(`kubectl kustomize ${dir}`, result) +
        (tooOld ? `\n${kubectl} embeds a kustomize without components/labels support: use kubectl 1.21 or newer.` : ''),
    );
  }
  return parseAllDocuments(result.stdout).map((doc) => {
    if (doc.errors.length) throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${doc.errors[0].message}`);
    return doc.toJS() as K8sObject;
  });
}

/** One object's schema problems. */
export interface ValidationResult {
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
  errors: string[];
}

/** Validates objects with `kubernetes-models` (in a child node process: the package is ESM-only). */
export function validateWithKubernetesModels(objects: readonly K8sObject[]): ValidationResult[] {
  const result = run(process.execPath, [join(__dirname, 'validate-k8s.mjs')], { input: JSON.stringify(objects) });
  if (result.status !== 0) throw new Error(describeRun('validate-k8s.mjs', result));
  return JSON.parse(result.stdout) as ValidationResult[];
}

/**
 * Unknown fields: the kubernetes-models validators accept properties the schema does not define
 * (a typo such as `readinesProbe` would pass), so each object is also type-checked as an object
 * literal against the package's TypeScript interfaces (IDeployment, IService, ...), where excess
 * properties and wrong types are errors. Returns "Kind/name: message" lines.
 */
export function typeCheckObjects(objects: readonly K8sObject[]): string[] {
  const typeNames = new Map<string, string>();
  const lines: string[] = [];
  const owners: Array<{ fromLine: number; label: string }> = [];
  const body: string[] = [];
  objects.forEach((object, index) => {
    const modulePath = `kubernetes-models/${object.apiVersion}/${object.kind}`;
    if (!typeNames.has(modulePath)) typeNames.set(modulePath, `T${typeNames.size}`);
    const literal = JSON.stringify(object, null, 1).split('\n');
    owners.push({ fromLine: body.length, label: `${object.kind}/${object.metadata?.name ?? index}` });
    literal[0] = `export const o${index}: ${typeNames.get(modulePath)} = ${literal[0]}`;
    literal[literal.length - 1] += ';';
    body.push(...literal);
  });
  for (const [modulePath, alias] of typeNames) lines.push(`import type { I${modulePath.split('/').pop()} as ${alias} } from '${modulePath}';`);
  const headerLines = lines.length;
  lines.push(...body);

  // Inside the workspace so that `kubernetes-models` resolves from its node_modules.
  mkdirSync(join(workspace, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(workspace, 'tmp', 'deploy-e2e-types-'));
  try {
    const file = join(dir, 'objects.ts');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const tsc = join(workspace, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = run(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--types', 'node', file], { timeoutMs: 120_000 });
    if (result.status === 0) return [];
    const problems = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.includes('error TS'));
    if (problems.length === 0) throw new Error(describeRun('tsc', result));
    return problems.map((problem) => {
      const match = /\((\d+),\d+\): error (TS\d+: .*)$/.exec(problem);
      if (!match) return problem;
      const bodyLine = Number(match[1]) - 1 - headerLines;
      const owner = [...owners].reverse().find((o) => o.fromLine <= bodyLine);
      return `${owner?.label ?? 'header'}: ${match[2]}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pod template spec of a workload (Deployment, StatefulSet). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podSpecOf(workload: K8sObject): any {
  return workload.spec?.template?.spec;
}

/** True when every key/value of `selector` is among `labels`. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}
