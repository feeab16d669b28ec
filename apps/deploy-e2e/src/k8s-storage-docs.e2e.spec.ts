import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { kustomize, type K8sObject } from './support/k8s';
import { find, VOLUME_PER_MAXMEMORY, violations } from './support/k8s-rules';
import { readText, workspace } from './support/tools';

/**
 * docs/kubernetes.md's "Production notes" on storage and persistence stay true: the persistence
 * settings it states are those of the redis.conf the manifests carry, the volume factor is the one
 * the rules check, and its storage class patch renders when pasted into an overlay.
 */

/** The Redis directives that decide persistence, as they appear in redis.conf. */
const PERSISTENCE_DIRECTIVES = ['appendonly', 'appendfsync', 'save'] as const;

/** The bullet `- **<title>**: ...` of a Markdown text, up to the next bullet or heading. */
function bullet(text: string, title: string): string {
  const match = new RegExp(`^- \\*\\*${title}\\*\\*:[\\s\\S]*?(?=^- \\*\\*|^#)`, 'm').exec(text);
  if (!match) throw new Error(`docs/kubernetes.md has no "- **${title}**:" bullet`);
  return match[0];
}

/** The persistence lines of a redis.conf (`appendonly yes`, `appendfsync everysec`, `save 300 1`). */
function persistenceLines(conf: string): string[] {
  return PERSISTENCE_DIRECTIVES.flatMap((directive) => [...conf.matchAll(new RegExp(`^${directive}\\s.*$`, 'gm'))].map((m) => m[0].trim()));
}

/** What the docs' persistence paragraph gets wrong about `conf`: a setting it does not state word for word, a directive conf lacks. */
function persistenceMismatches(paragraph: string, conf: string): string[] {
  const lines = persistenceLines(conf);
  const flat = paragraph.replace(/\s+/g, ' ');
  const missing = PERSISTENCE_DIRECTIVES.filter((d) => !lines.some((line) => line.startsWith(`${d} `))).map((d) => `redis.conf sets no ${d} (persistence must be explicit)`);
  const unstated = lines.filter((line) => !flat.includes(`\`${line}\``)).map((line) => `docs/kubernetes.md "Persistence" does not state \`${line}\` (redis.conf)`);
  return [...missing, ...unstated];
}

/** The first ```yaml block of `text`, without the indentation of its fence. */
function yamlBlock(text: string): string {
  const match = /^( *)```yaml\n([\s\S]*?)^ *```$/m.exec(text);
  if (!match) throw new Error('no ```yaml block');
  return match[2].replace(new RegExp(`^${match[1]}`, 'gm'), '');
}

describe('docs/kubernetes.md storage and persistence notes agree with the manifests', () => {
  let scratch: string;
  let rendered: K8sObject[];
  const docs = readText('docs/kubernetes.md');
  const redisConf = (objects: K8sObject[]): string => String(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-scripts-'))?.data?.['redis.conf'] ?? '');

  /** Renders deploy/k8s with `extra` (kustomization YAML) added, through an overlay in the scratch folder. */
  function renderWith(name: string, extra: string): K8sObject[] {
    const dir = join(scratch, name);
    mkdirSync(dir, { recursive: true });
    const k8s = relative(dir, join(workspace, 'deploy', 'k8s'));
    writeFileSync(join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${k8s}\n${extra}`);
    return kustomize(relative(workspace, dir));
  }

  const storageClass = (objects: K8sObject[], set: string): unknown => (find(objects, 'StatefulSet', set) as K8sObject).spec.volumeClaimTemplates[0].spec.storageClassName;

  beforeAll(() => {
    mkdirSync(join(workspace, 'tmp'), { recursive: true });
    scratch = mkdtempSync(join(workspace, 'tmp', 'deploy-e2e-storage-'));
    rendered = kustomize('deploy/k8s');
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('"Persistence" states the appendonly, appendfsync and save settings of the rendered redis-scripts redis.conf', () => {
    const conf = redisConf(rendered);
    expect(persistenceLines(conf)).toEqual(['appendonly yes', 'appendfsync everysec', 'save 300 1']);
    expect(conf).toBe(readText('deploy/redis/redis.conf'));
    expect(persistenceMismatches(bullet(docs, 'Persistence'), conf)).toEqual([]);
  });

  it('the persistence check fails on a redis.conf the docs do not describe (negative control)', () => {
    const paragraph = bullet(docs, 'Persistence');
    const conf = redisConf(rendered);
    expect(persistenceMismatches(paragraph, conf.replace(/^appendfsync everysec$/m, 'appendfsync always'))).toEqual(['docs/kubernetes.md "Persistence" does not state `appendfsync always` (redis.conf)']);
    expect(persistenceMismatches(paragraph, conf.replace(/^save 300 1$/m, 'save 60 1000'))).toEqual(['docs/kubernetes.md "Persistence" does not state `save 60 1000` (redis.conf)']);
    expect(persistenceMismatches(paragraph, conf.replace(/^appendonly yes$/m, ''))).toEqual(['redis.conf sets no appendonly (persistence must be explicit)']);
  });

  it(`states the volume factor the rules check (${VOLUME_PER_MAXMEMORY}x maxmemory) in "Persistence", the rules table and redis.conf`, () => {
    const factor = `${VOLUME_PER_MAXMEMORY}x maxmemory`;
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    expect(flat(bullet(docs, 'Persistence'))).toContain(`at least ${factor}`);
    const table = docs.split('\n').find((line) => line.startsWith('| Redis `requests` = `limits`')) ?? '';
    expect(table).toContain(`volume at least ${factor}`);
    expect(flat(redisConf(rendered))).toContain(`size the volume at ${factor} or more`);
    // no other factor is stated anywhere in the docs
    expect([...docs.matchAll(/\b(\d+)x maxmemory/g)].map((m) => Number(m[1])).filter((n) => n !== VOLUME_PER_MAXMEMORY)).toEqual([]);
  });

  it('"Storage": its storageClassName patch, pasted into an overlay, renders and sets the class of redis (and, renamed, of sentinel)', () => {
    const patch = yamlBlock(bullet(docs, 'Storage'));
    expect(patch).toMatch(/^patches:\n/);
    // the baseline: without the patch the claims name no class (so the check below can fail)
    expect({ redis: storageClass(rendered, 'redis'), sentinel: storageClass(rendered, 'sentinel') }).toEqual({ redis: undefined, sentinel: undefined });
    const redis = renderWith('redis', patch);
    expect({ redis: storageClass(redis, 'redis'), sentinel: storageClass(redis, 'sentinel') }).toEqual({ redis: 'fast-ssd', sentinel: undefined });
    const both = renderWith('both', `${patch}\n${patch.replace(/^patches:\n/, '').replace(/name: redis\b/, 'name: sentinel')}`);
    expect({ redis: storageClass(both, 'redis'), sentinel: storageClass(both, 'sentinel') }).toEqual({ redis: 'fast-ssd', sentinel: 'fast-ssd' });
    expect(violations(both)).toEqual({});
  });
});
