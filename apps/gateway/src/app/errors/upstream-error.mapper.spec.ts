import { Metadata, status } from '@grpc/grpc-js';
import { BrokenCircuitError, DeadlineExceededError, GrpcError, NoHealthyInstanceError, InvalidOptionsError } from '@failsoft/sidecar';
import { ApiError } from './api-error';
import { mapUpstreamError, unavailabilityOf, UPSTREAM_CODE_STATUS, type UpstreamErrorContext } from './upstream-error.mapper';

const likes: UpstreamErrorContext = { part: 'likes', what: 'likes are' };
const upload: UpstreamErrorContext = { part: 'upload', what: 'creating posts is', notFoundMessage: 'post p1 does not exist' };

function withCode(code: string, grpcStatus: status = status.INVALID_ARGUMENT): GrpcError {
  const metadata = new Metadata();
  metadata.set('x-failsoft-error-code', code);
  return new GrpcError(grpcStatus, `refused: ${code}`, `refused: ${code}`, metadata);
}

function mapped(error: unknown, context = likes): ApiError {
  const result = mapUpstreamError(error, context);
  expect(result).toBeInstanceOf(ApiError);
  return result as ApiError;
}

describe('mapUpstreamError', () => {
  it('maps an open breaker to 503 naming the part, with Retry-After from retryAfterMs (rounded up)', () => {
    const error = mapped(new BrokenCircuitError('open', 'likes', 3200));
    expect(error.status).toBe(503);
    expect(error.code).toBe('LIKES_UNAVAILABLE');
    expect(error.headers['Retry-After']).toBe('4');
    expect(error.message).toBe('likes are unavailable right now; try again in 4 s');
    expect(error.toBody()).toEqual({ error: { code: 'LIKES_UNAVAILABLE', message: error.message, part: 'likes', retryAfterSeconds: 4 } });
  });

  it('maps no healthy instance, deadlines and UNAVAILABLE-like gRPC statuses to 503 with a small default Retry-After', () => {
    for (const error of [
      new NoHealthyInstanceError('likes', 0),
      new DeadlineExceededError('late', Date.now(), false),
      new GrpcError(status.UNAVAILABLE, 'down'),
      new GrpcError(status.DEADLINE_EXCEEDED, 'slow'),
      new GrpcError(status.RESOURCE_EXHAUSTED, 'shed'),
      new BrokenCircuitError('probing', 'likes', 0),
    ]) {
      const api = mapped(error, upload);
      expect([api.status, api.code, api.headers['Retry-After']]).toEqual([503, 'UPLOAD_UNAVAILABLE', '2']);
      expect(unavailabilityOf(error)).toBe(2000);
    }
  });

  it('maps INVALID_ARGUMENT by the machine code in the trailers, keeping the upstream message', () => {
    const expected: Record<string, number> = { UNSUPPORTED_TYPE: 415, TOO_LARGE: 413, TOO_MANY_PIXELS: 422, TRUNCATED: 422, CORRUPT: 422, IDEMPOTENCY_KEY_REUSED: 422, EMPTY: 400, BAD_CAPTION: 400, BAD_POST_ID: 400 };
    for (const [code, httpStatus] of Object.entries(expected)) {
      const api = mapped(withCode(code), upload);
      expect([api.status, api.code, api.message]).toEqual([httpStatus, code, `refused: ${code}`]);
      expect(UPSTREAM_CODE_STATUS[code]).toBe(httpStatus);
    }
    expect([mapped(new GrpcError(status.INVALID_ARGUMENT, 'bad cursor')).status, mapped(new GrpcError(status.INVALID_ARGUMENT, 'bad cursor')).code]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(mapped(withCode('SOMETHING_NEW')).status).toBe(400);
    expect(mapped(withCode('not a code!')).code).toBe('INVALID_ARGUMENT'); // malformed codes are not relayed
    expect(unavailabilityOf(withCode('TOO_LARGE'))).toBeUndefined();
  });

  it('maps NOT_FOUND to 404 (with the caller message), conflicts to 409 and upstream bugs to 502', () => {
    expect([mapped(withCode('NOT_FOUND', status.NOT_FOUND), upload).status, mapped(withCode('NOT_FOUND', status.NOT_FOUND), upload).message]).toEqual([404, 'post p1 does not exist']);
    expect(mapped(new GrpcError(status.ALREADY_EXISTS, 'dup')).status).toBe(409);
    expect([mapped(withCode('NOT_AUTHOR', status.PERMISSION_DENIED), upload).status, mapped(withCode('NOT_AUTHOR', status.PERMISSION_DENIED), upload).code]).toEqual([403, 'NOT_AUTHOR']);
    // the sidecar refusing the gateway itself is not the user's fault
    expect([mapped(withCode('PERMISSION_DENIED', status.PERMISSION_DENIED), upload).status, mapped(new GrpcError(status.PERMISSION_DENIED, 'no')).code]).toEqual([502, 'UPSTREAM_ERROR']);
    for (const error of [new GrpcError(status.INTERNAL, 'boom'), new GrpcError(status.UNIMPLEMENTED, 'no'), new GrpcError(status.UNAUTHENTICATED, 'token'), new InvalidOptionsError('bad')]) {
      const api = mapped(error);
      expect([api.status, api.code]).toEqual([502, 'UPSTREAM_ERROR']);
      expect(api.cause).toBe(error);
    }
  });

  it('leaves errors that do not come from a call unchanged (they end as 500s)', () => {
    const bug = new TypeError('x is undefined');
    expect(mapUpstreamError(bug, likes)).toBe(bug);
    expect(unavailabilityOf(bug)).toBeUndefined();
  });
});
