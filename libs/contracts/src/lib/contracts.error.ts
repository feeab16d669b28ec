/** Stable machine-readable codes of the errors this library raises. */
export type ContractsErrorCode = 'PROTO_NOT_FOUND' | 'UNSAFE_INT64';

/** An error raised by `@failsoft/contracts`; branch on `code`, never on the message. */
export class ContractsError extends Error {
  /** @param code stable code; @param message what went wrong and what to do. */
  constructor(
    readonly code: ContractsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when `error` is a ContractsError (optionally of the given code). */
export function isContractsError(error: unknown, code?: ContractsErrorCode): error is ContractsError {
  return error instanceof ContractsError && (code === undefined || error.code === code);
}
