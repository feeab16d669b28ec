import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The packed @failsoft/sidecar tarball installs into a fresh Nest app in a temp dir outside the
 * workspace; the app compiles against the published types and makes a resilient call (one of
 * its two discovered instances is dead, so the call only succeeds through the sidecar's retry).
 */
const workspace = join(__dirname, '..', '..', '..');
const dist = join(workspace, 'dist', 'libs', 'sidecar');
const rootPackage = require(join(workspace, 'package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const version = (name: string) => rootPackage.dependencies[name] ?? rootPackage.devDependencies[name];

const proto = `syntax = "proto3";
package demo.v1;
service Greeter { rpc Greet(GreetRequest) returns (GreetReply); }
message GreetRequest { string name = 1; }
message GreetReply { string message = 1; string instance = 2; }
`;

const main = `import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isSidecarError, type ServiceClient } from '@failsoft/sidecar';
import { InjectSidecarClient, SidecarHandlers, SidecarModule } from '@failsoft/sidecar/nest';

const pkg = grpc.loadPackageDefinition(loadSync(join(__dirname, '..', 'greeter.proto'))) as any;
const definition: grpc.ServiceDefinition = pkg.demo.v1.Greeter.service;
const token = 'packed-app-token-0123456789';

@Injectable()
@SidecarHandlers(definition)
class GreeterHandlers {
  async Greet(request: { name: string }): Promise<{ message: string; instance: string }> {
    return { message: 'hello ' + request.name, instance: 'packed-app' };
  }
}

@Controller()
class GreetController {
  constructor(@InjectSidecarClient('greeter') private readonly greeter: ServiceClient) {}
  @Get('greet')
  greet(): Promise<unknown> {
    return this.greeter.call('Greet', { name: 'world' }, { fallback: () => ({ message: 'fallback', instance: '' }) });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function run(): Promise<void> {
  const grpcPort = await freePort();
  const deadPort = await freePort(); // nothing listens here: an instance that died
  @Module({
    imports: [
      SidecarModule.forRoot({
        service: 'packed-app',
        auth: { token },
        logLevel: 'error',
        server: { port: grpcPort },
        clients: [{
          service: 'greeter',
          definition,
          idempotentMethods: ['Greet'],
          resolver: { kind: 'static', service: 'greeter', addresses: ['127.0.0.1:' + deadPort, '127.0.0.1:' + grpcPort] },
          balancer: { kind: 'round-robin' },
          retry: { maxAttempts: 3 },
        }],
      }),
    ],
    providers: [GreeterHandlers],
    controllers: [GreetController],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const replies: Array<{ message: string }> = [];
  for (let i = 0; i < 10; i++) replies.push((await (await fetch(url + '/greet')).json()) as { message: string });
  const ready = await fetch(url + '/readyz');
  const failed = replies.filter((r) => r.message !== 'hello world');
  console.log('RESULT ' + JSON.stringify({ calls: replies.length, failed: failed.length, readyz: ready.status, guard: isSidecarError(new Error('x')) }));
  await app.close();
}

run().catch((error) => {
  console.error('packed app failed:', error);
  process.exit(1);
});
`;

let dir: string;

beforeAll(() => {
  if (!existsSync(join(dist, 'package.json'))) throw new Error(`${dist} is missing: run \`npx nx build sidecar\` first`);
  dir = mkdtempSync(join(tmpdir(), 'failsoft-packed-app-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sh(command: string, args: string[], cwd: string): string {
  const run = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${run.status}) in ${cwd}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

describe('packed @failsoft/sidecar', () => {
  it('installs into a fresh Nest app outside the workspace, compiles and makes a resilient call', () => {
    expect(dir.startsWith(workspace)).toBe(false);
    // 1. pack the built library
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    sh('npm', ['pack', dist, '--pack-destination', packs, '--silent'], dir);
    const tarball = readdirSync(packs).find((f) => f.endsWith('.tgz'));
    expect(tarball).toMatch(/^failsoft-sidecar-\d+\.\d+\.\d+\.tgz$/);

    // 2. a fresh app that depends on the tarball plus the peers a Nest app has anyway
    const app = join(dir, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'packed-app',
          private: true,
          dependencies: {
            '@failsoft/sidecar': `file:../packs/${tarball}`,
            '@grpc/grpc-js': version('@grpc/grpc-js'),
            '@grpc/proto-loader': version('@grpc/proto-loader'),
            '@nestjs/common': version('@nestjs/common'),
            '@nestjs/core': version('@nestjs/core'),
            '@nestjs/platform-express': version('@nestjs/platform-express'),
            ioredis: version('ioredis'),
            'reflect-metadata': version('reflect-metadata'),
            rxjs: version('rxjs'),
          },
          devDependencies: { typescript: version('typescript'), '@types/node': version('@types/node') },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'commonjs',
          moduleResolution: 'node',
          strict: true,
          esModuleInterop: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          skipLibCheck: false,
        },
        include: ['src'],
      }),
    );
    writeFileSync(join(app, 'greeter.proto'), proto);
    writeFileSync(join(app, 'src', 'main.ts'), main);
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);

    // 3. it compiles against the published types (skipLibCheck off: our .d.ts must be valid)
    sh(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);

    // 4. and makes resilient calls: half the instances are dead, no call fails
    const output = execFileSync(process.execPath, [join(app, 'dist', 'main.js')], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line).toBeDefined();
    expect(JSON.parse((line as string).slice('RESULT '.length))).toEqual({ calls: 10, failed: 0, readyz: 200, guard: false });
  });
});
