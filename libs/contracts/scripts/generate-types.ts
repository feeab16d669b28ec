/**
 * Regenerates the TypeScript types of the contracts with `proto-loader-gen-types`, using the very
 * options the runtime loaders use (PROTO_LOADER_OPTIONS), into libs/contracts/src/generated.
 *
 * Run: `npx nx run contracts:generate` (or `node -r @swc-node/register libs/contracts/scripts/generate-types.ts`).
 * The spec test/generated-types.spec.ts regenerates into a temp dir and fails when the committed
 * files are stale.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROTO_LOADER_OPTIONS } from '../src/lib/proto-loader-options';
import { PROTO_FILES } from '../src/lib/service-names';

/** Workspace root (the generator runs there so the "Original file:" comments are stable). */
export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');
/** Folder the generated types are committed in. */
export const GENERATED_DIR = join(__dirname, '..', 'src', 'generated');
/** Folder holding the `.proto` files. */
export const PROTO_DIR = join(__dirname, '..', 'src', 'proto');

/**
 * Command-line flags equivalent to PROTO_LOADER_OPTIONS. Throws on an option it does not know how
 * to pass on, so the loaders and the generated types can never silently disagree.
 */
export function genTypesFlags(options: Readonly<Record<string, unknown>> = PROTO_LOADER_OPTIONS): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    switch (key) {
      case 'keepCase':
      case 'defaults':
      case 'arrays':
      case 'objects':
      case 'oneofs':
      case 'json':
        if (typeof value !== 'boolean') throw new Error(`generate-types: option ${key} must be a boolean`);
        if (value) flags.push(`--${key}`);
        break;
      case 'longs':
      case 'enums':
        if (value === String) flags.push(`--${key}=String`);
        else if (key === 'longs' && value === Number) flags.push('--longs=Number');
        else throw new Error(`generate-types: option ${key} must be String${key === 'longs' ? ' or Number' : ''}`);
        break;
      default:
        throw new Error(`generate-types: option ${key} has no proto-loader-gen-types flag; teach genTypesFlags() about it`);
    }
  }
  return flags;
}

/** Every argument given to proto-loader-gen-types to generate into `outDir`. */
export function genTypesArgs(outDir: string): string[] {
  return [
    ...genTypesFlags(),
    '--includeComments',
    '--grpcLib=@grpc/grpc-js',
    '--targetFileExtension=.generated.ts',
    '--importFileExtension=.generated',
    `--includeDirs=${relative(WORKSPACE_ROOT, PROTO_DIR)}`,
    `--outDir=${outDir}`,
    ...Object.values(PROTO_FILES),
  ];
}

/** Empties `outDir` and generates the types into it. */
export function generateTypes(outDir: string = GENERATED_DIR): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const bin = require.resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
  execFileSync(process.execPath, [bin, ...genTypesArgs(outDir)], { cwd: WORKSPACE_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
}

if (require.main === module) {
  generateTypes();
  console.log(`contracts: generated types in ${relative(WORKSPACE_ROOT, GENERATED_DIR)}`);
}
