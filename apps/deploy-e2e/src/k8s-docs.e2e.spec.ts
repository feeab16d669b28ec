import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { kustomize, podSpecOf, type K8sObject } from './support/k8s';
import { describeRun, readText, run, workspace } from './support/tools';

/**
 * The Kubernetes quick start of README.md works as written, image overlay first (its overlay step
 * is run here and rendered), and docs/kubernetes.md, the kind/minikube walk-through nobody can
 * run on this machine, says so and stays in step with the manifests.
 */

/** The shell lines of `text` that create the overlay: from `mkdir -p my-failsoft` to its heredoc's `EOF`. */
function overlayStep(text: string): string {
  const match = /^mkdir -p my-failsoft\n[\s\S]*?^EOF$/m.exec(text);
  if (!match) throw new Error('no "mkdir -p my-failsoft ... EOF" overlay step found');
  return match[0];
}

/** The first ```bash block after `heading`. */
function firstBashBlockAfter(text: string, heading: string): string {
  const from = text.indexOf(heading);
  if (from < 0) throw new Error(`no heading ${JSON.stringify(heading)}`);
  const match = /```bash\n([\s\S]*?)```/.exec(text.slice(from));
  if (!match) throw new Error(`no bash block after ${heading}`);
  return match[1];
}

describe('the Kubernetes quick start (README.md) and walk-through (docs/kubernetes.md)', () => {
  let scratch: string;
  const readme = readText('README.md');
  const walkThrough = readText('docs/kubernetes.md');
  const quickStart = firstBashBlockAfter(readme, '### Kubernetes');

  /** Runs `step` with sh in a fresh folder beside a link to deploy/ (as at the repository root), then renders my-failsoft. */
  function runOverlayStep(step: string): K8sObject[] {
    const dir = mkdtempSync(join(scratch, 'root-'));
    symlinkSync(join(workspace, 'deploy'), join(dir, 'deploy'));
    const result = run('sh', ['-euc', `cd "${dir}"\n${step}`]);
    if (result.status !== 0) throw new Error(describeRun('the overlay step', result));
    return kustomize(relative(workspace, join(dir, 'my-failsoft')));
  }

  beforeAll(() => {
    mkdirSync(join(workspace, 'tmp'), { recursive: true });
    scratch = mkdtempSync(join(workspace, 'tmp', 'deploy-e2e-docs-'));
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('README: the overlay step, run as written, renders the platform with the image it names, in its namespace, with a front door', () => {
    const objects = runOverlayStep(overlayStep(quickStart));
    const images = objects.filter((o) => o.kind === 'Deployment').flatMap((d) => podSpecOf(d).containers.map((c: { image: string }) => c.image));
    expect(images).toEqual(['failsoft:0.1.0', 'failsoft:0.1.0', 'failsoft:0.1.0', 'failsoft:0.1.0']);
    expect([...new Set(objects.map((o) => o.metadata.namespace))]).toEqual(['failsoft']);
    expect(objects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name)).toEqual(['gateway']);
  });

  it('README: sets the image in the overlay FIRST, then creates the secrets the manifests read, then applies the overlay', () => {
    const lines = quickStart.split('\n');
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const overlay = at(/^cat > my-failsoft\/kustomization\.yaml/);
    const secret = at(/^deploy\/k8s\/secrets\.sh failsoft(\s|$)/);
    const apply = at(/^kubectl apply -k /);
    expect({ overlay: overlay >= 0, secretAfterOverlay: secret > overlay, applyLast: apply > secret }).toEqual({ overlay: true, secretAfterOverlay: true, applyLast: true });
    expect(lines[apply]).toMatch(/^kubectl apply -k my-failsoft(\s|$)/);
    // then waits for the certs Job of components/mtls-job (mTLS on by default), which the app pods wait for
    expect(at(/^kubectl -n failsoft wait --for=condition=complete job\/failsoft-certs /)).toBeGreaterThan(apply);
    // nothing in the README applies the image-less manifests directly
    expect(readme).not.toMatch(/apply -k deploy\/k8s/);
    // the secrets the script makes (its --print output: the Secrets' YAML, nothing applied) are
    // exactly the secret keys the workloads read, Secret by Secret
    const printed = run('sh', ['deploy/k8s/secrets.sh', 'failsoft', '--print']);
    expect({ code: printed.status, stderr: printed.stderr.slice(-500) }).toEqual({ code: 0, stderr: expect.any(String) });
    const given = printed.stdout
      .split(/^---$/m)
      .filter((doc) => /^kind: Secret$/m.test(doc))
      .flatMap((doc) => {
        const name = /^ {2}name: (\S+)$/m.exec(doc)?.[1];
        const data = doc.split(/^data:$/m)[1]?.split(/^\S/m)[0] ?? '';
        return [...data.matchAll(/^ {2}(\w+): /gm)].map((m) => `${name}/${m[1]}`);
      })
      .sort();
    type Container = { env?: Array<{ valueFrom?: { secretKeyRef?: { name: string; key: string } } }>; envFrom?: Array<{ secretRef?: { name: string } }> };
    const containers: Container[] = kustomize('deploy/k8s')
      .filter((o) => podSpecOf(o) !== undefined)
      .flatMap((w) => podSpecOf(w).containers as Container[]);
    // a key is read by name (env secretKeyRef) or with its whole Secret (envFrom secretRef)
    const wholeSecrets = new Set(containers.flatMap((c) => (c.envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : []))));
    const read = containers
      .flatMap((c) => c.env ?? [])
      .map((e) => e.valueFrom?.secretKeyRef)
      .filter((ref): ref is { name: string; key: string } => ref !== undefined)
      .map((ref) => `${ref.name}/${ref.key}`);
    expect(given.filter((key) => !wholeSecrets.has(key.split('/')[0]))).toEqual([...new Set(read)].filter((key) => !wholeSecrets.has(key.split('/')[0])).sort());
    // and every key read by name is one the script makes
    expect([...new Set(read)].filter((key) => !given.includes(key))).toEqual([]);
    expect([...wholeSecrets].sort()).toEqual([...new Set(given.map((key) => key.split('/')[0]))].filter((name) => wholeSecrets.has(name)).sort());
  });

  it('docs/kubernetes.md: marked as not run here, and its walk-through covers kind and minikube, the front door, a killed pod healing', () => {
    expect(walkThrough).toMatch(/^> \*\*Not run here\.\*\*/m);
    for (const step of ['kind create cluster', 'kind load docker-image failsoft:0.1.0', 'minikube start', 'image load failsoft:0.1.0', 'kubectl apply -k my-failsoft', 'wait --for=condition=complete job/failsoft-certs', 'get ingress gateway', 'delete pod', 'get pods -w', 'kubectl drain']) {
      expect({ step, covered: walkThrough.includes(step) }).toEqual({ step, covered: true });
    }
    expect(readme).toContain('[docs/kubernetes.md](docs/kubernetes.md)');
  });

  it('docs/kubernetes.md: its overlay step renders too, and the Redis digest it records is the one the manifests pin', () => {
    const objects = runOverlayStep(overlayStep(walkThrough));
    expect(objects.filter((o) => o.kind === 'Ingress')).toHaveLength(1);
    const pinned = [...new Set(objects.filter((o) => o.kind === 'StatefulSet').map((s) => podSpecOf(s).containers[0].image as string))];
    expect(pinned).toHaveLength(1);
    expect(walkThrough).toContain(`\`${pinned[0]}\``);
  });
});
