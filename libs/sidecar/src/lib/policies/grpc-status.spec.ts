import { status as grpcStatus, Metadata } from '@grpc/grpc-js';
import { GrpcStatus, grpcStatusOf, isGrpcError, retryableGrpcCodes, serverFaultGrpcCodes } from './grpc-status';
import { SidecarError } from '../core/sidecar.error';

function grpcError(code: number): Error & { code: number; details: string; metadata: Metadata } {
  return Object.assign(new Error(`status ${code}`), { code, details: 'boom', metadata: new Metadata() });
}

describe('grpc-status', () => {
  it('mirrors every numeric code of @grpc/grpc-js', () => {
    for (const [name, value] of Object.entries(GrpcStatus)) {
      expect(grpcStatus[name as keyof typeof grpcStatus]).toBe(value);
    }
    expect(Object.keys(GrpcStatus)).toHaveLength(17);
  });

  it('recognises gRPC errors by a numeric code plus metadata or details', () => {
    expect(isGrpcError(grpcError(14))).toBe(true);
    expect(isGrpcError({ code: 5, details: 'not found' })).toBe(true);
    expect(isGrpcError({ code: 5, metadata: {} })).toBe(true);
    expect(isGrpcError({ code: 5 })).toBe(false);
    expect(isGrpcError(Object.assign(new Error('x'), { code: 'ECONNRESET', details: 'x' }))).toBe(false);
    expect(isGrpcError(new SidecarError('BROKEN_CIRCUIT', 'open'))).toBe(false);
    expect(isGrpcError(null)).toBe(false);
    expect(isGrpcError('UNAVAILABLE')).toBe(false);
  });

  it('reads the status of a gRPC error and nothing else', () => {
    expect(grpcStatusOf(grpcError(GrpcStatus.UNAVAILABLE))).toBe(14);
    expect(grpcStatusOf(new Error('plain'))).toBeUndefined();
  });

  it('lists retryable and server-fault codes', () => {
    expect([...retryableGrpcCodes].sort()).toEqual([GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.UNAVAILABLE].sort());
    expect(serverFaultGrpcCodes).toEqual(
      expect.arrayContaining([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN, GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.DATA_LOSS]),
    );
    expect(serverFaultGrpcCodes).toHaveLength(6);
    expect(Object.isFrozen(retryableGrpcCodes)).toBe(true);
  });
});
