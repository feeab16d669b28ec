import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One combination a user might have: Nest major, HTTP adapter, module system. */
export interface AppVariant {
  /** Short name, also the temp dir's name. */
  readonly name: string;
  /** Nest major version range installed. */
  readonly nest: string;
  readonly adapter: 'express' | 'fastify';
  readonly module: 'commonjs' | 'esm';
}

export const APP_VARIANTS: readonly AppVariant[] = [
  { name: 'nest11-express', nest: '^11.0.0', adapter: 'express', module: 'commonjs' },
  { name: 'nest10-express', nest: '^10.0.0', adapter: 'express', module: 'commonjs' },
  { name: 'nest12-esm', nest: '^12.0.0', adapter: 'express', module: 'esm' },
  { name: 'nest11-fastify', nest: '^11.0.0', adapter: 'fastify', module: 'commonjs' },
];

/** The example app every variant runs (and docs/use-in-your-nest-app.md quotes). */
export const USER_APP_FIXTURE = join(__dirname, '..', 'fixtures', 'user-app');
const fixture = USER_APP_FIXTURE;

/** What the user types (the registry is added for the test's Verdaccio). */
export const INSTALL_COMMAND = ['npm', 'install', '@failsoft/sidecar', '@failsoft/state'] as const;

/**
 * Writes the app a user has after `nest new` (its own Nest, adapter and TypeScript; no Failsoft
 * package yet) plus the example sources, into `dir`.
 */
export function writeUserApp(dir: string, variant: AppVariant): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const platform = variant.adapter === 'fastify' ? '@nestjs/platform-fastify' : '@nestjs/platform-express';
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `user-app-${variant.name}`,
        version: '1.0.0',
        private: true,
        ...(variant.module === 'esm' ? { type: 'module' } : {}),
        dependencies: {
          '@nestjs/common': variant.nest,
          '@nestjs/core': variant.nest,
          [platform]: variant.nest,
          // the app's existing @GrpcMethod controller and ClientGrpc code (src/farewell.ts)
          '@nestjs/microservices': variant.nest,
          '@grpc/grpc-js': '^1.10.0',
          '@grpc/proto-loader': '^0.8.0',
          'reflect-metadata': '^0.2.0',
          rxjs: '^7.8.0',
        },
        devDependencies: { typescript: '~5.9.0', '@types/node': '^20.0.0' },
      },
      null,
      2,
    ),
  );
  const esm = variant.module === 'esm';
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: esm ? 'nodenext' : 'commonjs',
          moduleResolution: esm ? 'nodenext' : 'node',
          strict: true,
          esModuleInterop: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          // our published .d.ts must type-check as they are (the peers' own may not, under old Nest)
          skipLibCheck: false,
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  copyFileSync(join(fixture, 'greeter.proto'), join(dir, 'greeter.proto'));
  cpSync(join(fixture, 'src', 'generated'), join(dir, 'src', 'generated'), { recursive: true });
  for (const file of ['greeter.ts', 'farewell.ts', 'app.module.ts']) copyFileSync(join(fixture, 'src', file), join(dir, 'src', file));
  copyFileSync(join(fixture, 'src', `main-${variant.adapter}.ts`), join(dir, 'src', 'main.ts'));
}

/** Result of a command run to its end. */
export interface RunResult {
  readonly code: number | null;
  readonly output: string;
  readonly ms: number;
}

/** Runs a command asynchronously (so several installs overlap), collecting its output. */
export function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (error) => resolve({ code: -1, output: output + String(error), ms: Date.now() - started }));
    child.on('close', (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

/** Throws with the command's output when it failed. */
export function assertOk(what: string, result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}) after ${result.ms} ms:\n${result.output.slice(-6000)}`);
  return result;
}
