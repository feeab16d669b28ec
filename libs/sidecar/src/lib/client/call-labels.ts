import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import { GrpcStatus } from '../policies/grpc-status';

/** Whether a method is idempotent, from the client's `idempotentMethods` option. @throws InvalidOptionsError for a bad option. */
export function idempotencyOf(methods: readonly string[] | '*'): (method: string) => boolean {
  if (methods === '*') return () => true;
  if (!Array.isArray(methods) || methods.some((m) => typeof m !== 'string')) {
    throw new InvalidOptionsError(`client.idempotentMethods must be '*' or an array of method names; got ${show(methods)}`);
  }
  const set = new Set(methods);
  return (method) => set.has(method);
}

const statusNames = Object.fromEntries(Object.entries(GrpcStatus).map(([name, code]) => [code, name])) as Record<number, string>;

/** A stable label for an error: the gRPC status name, the sidecar code, or `ERROR`. */
export function codeName(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number') return statusNames[code] ?? String(code);
  if (typeof code === 'string') return code;
  return 'ERROR';
}
