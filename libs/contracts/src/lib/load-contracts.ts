import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import type { FeedServiceDefinition } from '../generated/failsoft/feed/v1/FeedService.generated';
import type { LikesServiceDefinition } from '../generated/failsoft/likes/v1/LikesService.generated';
import type { UploadServiceDefinition } from '../generated/failsoft/upload/v1/UploadService.generated';
import type { HealthDefinition } from '../generated/grpc/health/v1/Health.generated';
import { ContractsError } from './contracts.error';
import { PROTO_LOADER_OPTIONS } from './proto-loader-options';
import { FEED_SERVICE, HEALTH_SERVICE, LIKES_SERVICE, PROTO_FILES, UPLOAD_SERVICE, type ContractServiceName } from './service-names';

/**
 * Absolute path of the folder holding the `.proto` files. Resolved from this file's folder, so it
 * works from source (jest, @swc-node/register: `src/lib/../proto`) and from a build, where
 * `tools/build.mjs` copies `src/proto/**` next to the compiled `src/lib/*.js`.
 */
export const PROTO_ROOT = join(__dirname, '..', 'proto');

/** Every service definition of the contracts, typed per service. */
export interface ContractServices {
  /** `failsoft.upload.v1.UploadService`. */
  readonly upload: UploadServiceDefinition;
  /** `failsoft.likes.v1.LikesService`. */
  readonly likes: LikesServiceDefinition;
  /** `failsoft.feed.v1.FeedService`. */
  readonly feed: FeedServiceDefinition;
  /** `grpc.health.v1.Health`. */
  readonly health: HealthDefinition;
}

let cachedPackage: PackageDefinition | undefined;
let cachedServices: ContractServices | undefined;

/**
 * Loads every contracts `.proto` file found under `protoRoot` with PROTO_LOADER_OPTIONS (not
 * cached; prefer `contractsPackageDefinition()`). Throws `ContractsError('PROTO_NOT_FOUND')`
 * naming the missing files when they are not there (e.g. a build that skipped the asset copy).
 */
export function loadContractsPackage(protoRoot: string): PackageDefinition {
  const files = Object.values(PROTO_FILES);
  const missing = files.filter((file) => !existsSync(join(protoRoot, file)));
  if (missing.length > 0) {
    throw new ContractsError(
      'PROTO_NOT_FOUND',
      `@failsoft/contracts: ${missing.join(', ')} not found under ${protoRoot}. ` +
        'The .proto files must sit in src/proto next to src/lib (tools/build.mjs copies them); rebuild the project.',
    );
  }
  return loadSync(files, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot] });
}

/**
 * Every service and message definition of the contracts (loaded once from PROTO_ROOT, then
 * cached), keyed by fully-qualified name, e.g. for `grpc.loadPackageDefinition()` or server
 * reflection. Throws `ContractsError('PROTO_NOT_FOUND')` when the `.proto` files are missing.
 */
export function contractsPackageDefinition(): PackageDefinition {
  cachedPackage ??= loadContractsPackage(PROTO_ROOT);
  return cachedPackage;
}

/** The service definition registered under `name`, checked to be a service. */
function serviceDefinition<T>(name: ContractServiceName): T {
  const definition = contractsPackageDefinition()[name];
  // message/enum definitions carry a `format` field; service definitions are method maps
  if (!definition || 'format' in definition) {
    throw new ContractsError('PROTO_NOT_FOUND', `@failsoft/contracts: service ${name} is not defined in ${PROTO_FILES[name]}.`);
  }
  return definition as unknown as T;
}

/** Loads (once) and returns every service definition, for `server.addService()` and clients. */
export function loadContracts(): ContractServices {
  cachedServices ??= Object.freeze({
    upload: serviceDefinition<UploadServiceDefinition>(UPLOAD_SERVICE),
    likes: serviceDefinition<LikesServiceDefinition>(LIKES_SERVICE),
    feed: serviceDefinition<FeedServiceDefinition>(FEED_SERVICE),
    health: serviceDefinition<HealthDefinition>(HEALTH_SERVICE),
  });
  return cachedServices;
}

/** `failsoft.upload.v1.UploadService` definition (a `grpc.ServiceDefinition`). */
export function uploadServiceDefinition(): UploadServiceDefinition {
  return loadContracts().upload;
}

/** `failsoft.likes.v1.LikesService` definition (a `grpc.ServiceDefinition`). */
export function likesServiceDefinition(): LikesServiceDefinition {
  return loadContracts().likes;
}

/** `failsoft.feed.v1.FeedService` definition (a `grpc.ServiceDefinition`). */
export function feedServiceDefinition(): FeedServiceDefinition {
  return loadContracts().feed;
}

/** `grpc.health.v1.Health` definition (a `grpc.ServiceDefinition`). */
export function healthServiceDefinition(): HealthDefinition {
  return loadContracts().health;
}
