import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import { validate as validateDockerfile } from 'dockerfile-utils';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { isIgnored, parseCopy, parseDockerfile, resolveIn, stagesOf, workdirAt, type Stage } from './support/dockerfile';
import { describeRun, findTool, readText, run, workspace } from './support/tools';

/**
 * deploy/docker/Dockerfile cannot be built here (no Docker engine), so it is linted (hadolint when
 * installed, plus the rules below), and everything it copies is shown to exist after a build.
 */
const DOCKERFILE = 'deploy/docker/Dockerfile';
const stages = stagesOf(parseDockerfile(readText(DOCKERFILE)));
const final = stages[stages.length - 1];
const dockerignore = readText('.dockerignore');
const stageNamed = (name: string): Stage | undefined => stages.find((s) => s.name === name || String(s.index) === name);
const runsOf = (stage: Stage): string[] => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

// A Dockerfile linter always runs: dockerfile-utils (the linter of the Dockerfile language server,
// an npm devDependency, so it is on every machine after `npm ci`), and hadolint as well where it is
// installed (it is not packaged for Debian, nor on npm). The test is always registered and names
// the linters it ran: a missing tool never hides it.
const hadolint = findTool('hadolint');
it(`passes a Dockerfile linter (dockerfile-utils${hadolint ? ' and hadolint' : '; hadolint is not installed here'})`, () => {
  const diagnostics = validateDockerfile(readText(DOCKERFILE)).map((d) => `${DOCKERFILE}:${d.range.start.line + 1} ${d.severity === 1 ? 'error' : 'warning'}: ${d.message}`);
  expect(diagnostics).toEqual([]);
  if (hadolint) {
    const result = run(hadolint, [DOCKERFILE]);
    expect({ status: result.status, output: describeRun('hadolint', result) }).toMatchObject({ status: 0 });
  }
});

it('the Dockerfile linter catches what it is run for (negative control)', () => {
  const bad = 'FROM node:20-slim\nMAINTAINER someone\nCMD ["node", "a.js"]\nCMD ["node", "b.js"]\n';
  expect(validateDockerfile(bad).map((d) => d.message)).toEqual(expect.arrayContaining([expect.stringMatching(/only be one CMD/), expect.stringMatching(/MAINTAINER has been deprecated/)]));
});

describe('Dockerfile rules', () => {
  it('has a build stage and a separate final stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(final.name).toBe('runtime');
  });

  it('takes the Node base from ARG NODE_IMAGE (default: the official image) and has no `# syntax=` line (BuildKit would pull that frontend)', () => {
    const text = readText(DOCKERFILE);
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
    expect(/^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1]).toBe('node:22-bookworm-slim');
    const froms = parseDockerfile(text).filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(froms.filter((image) => !stageNamed(image))).toEqual(froms.filter((image) => !stageNamed(image)).map(() => '${NODE_IMAGE}'));
    expect(() => stagesOf(parseDockerfile('FROM ${NOPE} AS x\n'))).toThrow(/NOPE, which no ARG/);
  });

  it('pins every base image to a tag other than latest', () => {
    for (const stage of stages) {
      if (stageNamed(stage.image)) continue; // FROM <earlier stage>
      expect({ stage: stage.name, image: stage.image }).toEqual({ stage: stage.name, image: expect.stringMatching(/^[a-z0-9./-]+:(?!latest(?:@|$))[\w.-]+(@sha256:[0-9a-f]{64})?$/) });
    }
  });

  it('builds on a current LTS Node (an even major, 20 or newer) on a slim base', () => {
    for (const stage of stages.filter((s) => s.image.startsWith('node:'))) {
      const major = Number(/^node:(\d+)/.exec(stage.image)?.[1]);
      expect({ image: stage.image, lts: major >= 20 && major % 2 === 0, slim: /slim|alpine|distroless/.test(stage.image) }).toEqual({ image: stage.image, lts: true, slim: true });
    }
  });

  it('installs with `npm ci` from the lockfile, never `npm install`', () => {
    const all = stages.flatMap(runsOf);
    expect(all.filter((r) => /\bnpm (install|i)\b|\byarn\b|\bpnpm\b/.test(r))).toEqual([]);
    expect(all.filter((r) => /\bnpm ci\b/.test(r)).length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      if (!runsOf(stage).some((r) => /\bnpm ci\b/.test(r))) continue;
      const copiedLock = stage.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).some((c) => c.sources.includes('package-lock.json'));
      expect({ stage: stage.name, copiedLock }).toEqual({ stage: stage.name, copiedLock: true });
    }
  });

  it('puts no dev dependencies and no sources in the final stage', () => {
    for (const r of runsOf(final)) expect(/\bnpm ci\b/.test(r) && !/--omit=dev/.test(r)).toBe(false);
    const copies = final.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => ({ keyword: i.keyword, ...parseCopy(i) }));
    expect(copies.filter((c) => c.keyword === 'ADD')).toEqual([]);
    for (const copy of copies) {
      if (copy.from === undefined) {
        // from the build context: only the health check script and the certs jobs (plain .mjs, no sources to compile)
        expect([['deploy/docker/healthcheck.js'], ['deploy/certs/generate-certs.mjs', 'deploy/certs/k8s-secrets.mjs', 'deploy/certs/x509.mjs']]).toContainEqual(copy.sources);
        continue;
      }
      const stage = stageNamed(copy.from);
      expect(stage).toBeDefined();
      for (const source of copy.sources) {
        if (source.endsWith('/node_modules')) {
          // node_modules only from a stage that installed production dependencies
          expect({ from: copy.from, runs: runsOf(stage as Stage).filter((r) => /\bnpm ci\b/.test(r)) }).toEqual({ from: copy.from, runs: [expect.stringMatching(/--omit=dev/)] });
        } else {
          expect(source).toMatch(/(\/dist\/apps\/[a-z-]+|\/package\.json)$/);
        }
      }
    }
  });

  it('runs as an unprivileged user in the final stage', () => {
    const users = final.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    const lastUser = final.instructions.findIndex((i) => i === final.instructions.filter((j) => j.keyword === 'USER').pop());
    expect(final.instructions.slice(lastUser).filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('has a HEALTHCHECK and a CMD in exec (JSON) form', () => {
    const health = final.instructions.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0].args).toMatch(/--interval=\S+ .*CMD \["node", "\/app\/healthcheck\.js"/);
    const cmd = final.instructions.filter((i) => i.keyword === 'CMD');
    expect(cmd).toHaveLength(1);
    expect(() => JSON.parse(cmd[0].args)).not.toThrow();
  });

  it('uses absolute WORKDIRs', () => {
    for (const i of stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'WORKDIR')) expect(i.args).toMatch(/^\//);
  });

  it('keeps local installs, builds and secrets out of the build context (.dockerignore)', () => {
    for (const path of ['node_modules', 'apps/cli/node_modules', 'dist', 'dist/apps/likes', '.git', '.failsoft', 'tmp', 'coverage', '.nx', '.env']) {
      expect({ path, ignored: isIgnored(dockerignore, path) }).toEqual({ path, ignored: true });
    }
    for (const path of ['package.json', 'package-lock.json', 'apps/likes/src/main.ts', 'libs/sidecar/src/index.ts', 'tools/build.mjs', 'nx.json', 'tsconfig.base.json']) {
      expect({ path, ignored: isIgnored(dockerignore, path) }).toEqual({ path, ignored: false });
    }
  });
});

describe('every path the Dockerfile copies exists after a build', () => {
  /** Paths a stage creates (inside the image), with how to find them in the workspace. */
  function provided(stage: Stage): Array<{ imagePath: string; workspacePath?: string }> {
    const out: Array<{ imagePath: string; workspacePath?: string }> = [];
    stage.instructions.forEach((instruction, position) => {
      const workdir = workdirAt(stage, position);
      if (instruction.keyword === 'COPY' && !/--from=/.test(instruction.args)) {
        const copy = parseCopy(instruction);
        const destination = resolveIn(workdir, copy.destination);
        for (const source of copy.sources) {
          if (source === '.') out.push({ imagePath: destination, workspacePath: '' });
          else out.push({ imagePath: copy.sources.length > 1 || copy.destination.endsWith('/') ? `${destination}/${source.split('/').pop()}` : destination, workspacePath: source });
        }
      }
      if (instruction.keyword === 'RUN') {
        if (/\bnpm ci\b/.test(instruction.args)) out.push({ imagePath: resolveIn(workdir, 'node_modules') });
        const build = /nx run-many -t build -p ((?:[\w-]+\s*)+)/.exec(instruction.args);
        for (const project of build?.[1].trim().split(/\s+/) ?? []) out.push({ imagePath: resolveIn(workdir, `dist/apps/${project}`), workspacePath: `dist/apps/${project}` });
      }
    });
    return out;
  }

  const copies = stages.flatMap((stage) =>
    stage.instructions.filter((i) => i.keyword === 'COPY').map((instruction) => ({ stage, copy: parseCopy(instruction) })),
  );

  it.each(copies.map(({ stage, copy }) => [`${stage.name}: COPY ${copy.from ? `--from=${copy.from} ` : ''}${copy.sources.join(' ')} (line ${copy.line})`, stage, copy] as const))('%s', (_label, _stage, copy) => {
    for (const source of copy.sources) {
      if (copy.from === undefined) {
        if (source === '.') continue;
        expect({ source, exists: existsSync(join(workspace, source)), ignored: isIgnored(dockerignore, source) }).toEqual({ source, exists: true, ignored: false });
        continue;
      }
      const from = stageNamed(copy.from);
      if (!from) throw new Error(`COPY --from=${copy.from}: no such stage`);
      const made = provided(from).filter((p) => source === p.imagePath || source.startsWith(`${p.imagePath}/`));
      expect({ source, providedBy: made.length > 0 }).toEqual({ source, providedBy: true });
      // the last thing written there wins: check it exists in the workspace (after `nx run-many -t build`)
      const last = made[made.length - 1];
      if (last.workspacePath === undefined) continue; // created by `npm ci` in that stage
      const inWorkspace = join(last.workspacePath, relative(last.imagePath, source));
      expect({ source, workspacePath: inWorkspace, exists: existsSync(join(workspace, inWorkspace)) }).toEqual({ source, workspacePath: inWorkspace, exists: true });
      if (inWorkspace.startsWith('dist/apps/')) {
        const app = inWorkspace.split('/')[2];
        const main = join(workspace, 'dist', 'apps', app, 'apps', app, 'src', 'main.js');
        expect({ main: relative(workspace, main), exists: existsSync(main) }).toEqual({ main: relative(workspace, main), exists: true });
      }
    }
  });

  it('builds apps that need only production dependencies at run time', () => {
    const pkg = JSON.parse(readText('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const needed = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (entry.endsWith('.js')) {
          for (const m of readFileSync(path, 'utf8').matchAll(/require\("([^"./][^"]*)"\)/g)) {
            const name = m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0];
            if (!builtins.has(name) && !name.startsWith('node:')) needed.set(name, relative(workspace, path));
          }
        }
      }
    };
    const apps = final.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).flatMap((c) => c.sources).map((s) => /dist\/apps\/([a-z-]+)$/.exec(s)?.[1]).filter((a): a is string => !!a);
    for (const app of apps) {
      const main = join(workspace, 'dist', 'apps', app, 'apps', app, 'src', 'main.js');
      if (!existsSync(main)) throw new Error(`${relative(workspace, main)} is missing: run \`npx nx run-many -t build\` first (the e2e target depends on it)`);
      walk(join(workspace, 'dist', 'apps', app));
    }
    expect(needed.size).toBeGreaterThan(0);
    const notProduction = [...needed].filter(([name]) => !(name in pkg.dependencies)).map(([name, file]) => `${name} (required by ${file})`);
    expect(notProduction).toEqual([]);
  });

  it('has a lockfile in step with package.json (`npm ci` refuses otherwise)', () => {
    const pkg = JSON.parse(readText('package.json')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const lock = JSON.parse(readText('package-lock.json')) as { lockfileVersion: number; packages: Record<string, { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    expect(lock.packages[''].dependencies ?? {}).toEqual(pkg.dependencies ?? {});
    expect(lock.packages[''].devDependencies ?? {}).toEqual(pkg.devDependencies ?? {});
  });
});

describe('deploy/docker/healthcheck.js', () => {
  let server: Server;
  let port: number;
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/livez' ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Runs the health check asynchronously (the test's own server must keep answering). */
  function healthcheck(httpPort: number): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(workspace, 'deploy', 'docker', 'healthcheck.js'), '/livez'], { env: { ...process.env, HTTP_PORT: String(httpPort) }, stdio: 'ignore' });
      child.on('exit', (code) => resolve(code));
    });
  }

  it('exits 0 when /livez answers 2xx', async () => {
    status = 200;
    expect(await healthcheck(port)).toBe(0);
  });

  it('exits 1 when /livez answers an error', async () => {
    status = 503;
    expect(await healthcheck(port)).toBe(1);
  });

  it('exits 1 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await healthcheck(closedPort)).toBe(1);
  });
});
