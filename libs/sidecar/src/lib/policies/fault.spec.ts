import { Metadata } from '@grpc/grpc-js';
import { SidecarError } from '../core/sidecar.error';
import { BrokenCircuitError } from './broken-circuit.error';
import { BulkheadRejectedError } from './bulkhead-rejected.error';
import { DeadlineExceededError } from './deadline-exceeded.error';
import { isDegradation, isRetryableError, isServerFault } from './fault';
import { GrpcStatus } from './grpc-status';

const grpc = (code: number) => Object.assign(new Error(`status ${code}`), { code, details: '', metadata: new Metadata() });
const abortError = () => Object.assign(new Error('aborted'), { name: 'AbortError' });

describe('fault classification', () => {
  it.each([
    ['UNAVAILABLE', grpc(GrpcStatus.UNAVAILABLE), true],
    ['RESOURCE_EXHAUSTED', grpc(GrpcStatus.RESOURCE_EXHAUSTED), true],
    ['INTERNAL', grpc(GrpcStatus.INTERNAL), false],
    ['DEADLINE_EXCEEDED (gRPC)', grpc(GrpcStatus.DEADLINE_EXCEEDED), false],
    ['INVALID_ARGUMENT', grpc(GrpcStatus.INVALID_ARGUMENT), false],
    ['per-instance broken circuit', new BrokenCircuitError('open', 'likes/1', 10, 'likes-1'), true],
    ['service broken circuit', new BrokenCircuitError('open', 'likes', 10), false],
    ['per-instance bulkhead', new BulkheadRejectedError('full', 'b', 'likes-1'), true],
    ['service bulkhead', new BulkheadRejectedError('full', 'b'), false],
    ['no healthy instance', new SidecarError('NO_HEALTHY_INSTANCE', 'none'), true],
    ['sidecar deadline', new DeadlineExceededError('late', 0, false), false],
    ['plain error', new Error('ECONNRESET'), false],
  ])('isRetryableError(%s) is %s', (_name, error, expected) => {
    expect(isRetryableError(error)).toBe(expected);
  });

  it.each([
    ['UNAVAILABLE', grpc(GrpcStatus.UNAVAILABLE), true],
    ['DEADLINE_EXCEEDED', grpc(GrpcStatus.DEADLINE_EXCEEDED), true],
    ['INTERNAL', grpc(GrpcStatus.INTERNAL), true],
    ['UNKNOWN', grpc(GrpcStatus.UNKNOWN), true],
    ['RESOURCE_EXHAUSTED', grpc(GrpcStatus.RESOURCE_EXHAUSTED), true],
    ['DATA_LOSS', grpc(GrpcStatus.DATA_LOSS), true],
    ['INVALID_ARGUMENT', grpc(GrpcStatus.INVALID_ARGUMENT), false],
    ['NOT_FOUND', grpc(GrpcStatus.NOT_FOUND), false],
    ['ALREADY_EXISTS', grpc(GrpcStatus.ALREADY_EXISTS), false],
    ['PERMISSION_DENIED', grpc(GrpcStatus.PERMISSION_DENIED), false],
    ['UNAUTHENTICATED', grpc(GrpcStatus.UNAUTHENTICATED), false],
    ['CANCELLED', grpc(GrpcStatus.CANCELLED), false],
    ['plain error', new Error('ECONNREFUSED'), true],
    ['AbortError', abortError(), false],
    ['timed-out deadline', new DeadlineExceededError('late', 0, false), true],
    ['refused deadline', new DeadlineExceededError('late', 0, true), false],
    ['broken circuit', new BrokenCircuitError('open', 'x', 0, 'i'), true],
    ['no healthy instance', new SidecarError('NO_HEALTHY_INSTANCE', 'none'), true],
    ['bulkhead rejection', new BulkheadRejectedError('full', ''), false],
    ['invalid options', new SidecarError('INVALID_OPTIONS', 'bad'), false],
  ])('isServerFault(%s) is %s', (_name, error, expected) => {
    expect(isServerFault(error)).toBe(expected);
  });

  it.each([
    ['UNAVAILABLE', grpc(GrpcStatus.UNAVAILABLE), true],
    ['NOT_FOUND', grpc(GrpcStatus.NOT_FOUND), false],
    ['INVALID_ARGUMENT', grpc(GrpcStatus.INVALID_ARGUMENT), false],
    ['service broken circuit', new BrokenCircuitError('open', 'likes', 10), true],
    ['bulkhead rejection', new BulkheadRejectedError('full', ''), true],
    ['refused deadline', new DeadlineExceededError('late', 0, true), true],
    ['retry budget', new SidecarError('RETRY_BUDGET_EXHAUSTED', 'spent'), true],
    ['AbortError', abortError(), false],
  ])('isDegradation(%s) is %s', (_name, error, expected) => {
    expect(isDegradation(error)).toBe(expected);
  });
});
