import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTO_FILES, PROTO_ROOT, type ContractServiceName } from '../src/index';

describe('.proto files', () => {
  it.each(Object.entries(PROTO_FILES))('%s lives in a versioned package matching its path', (service, file) => {
    const text = readFileSync(join(PROTO_ROOT, file), 'utf8');
    const pkg = /^package\s+([\w.]+);/m.exec(text)?.[1];
    expect(text).toMatch(/^syntax = "proto3";/m);
    expect(pkg).toMatch(/\.v\d+$/);
    expect(file).toBe(`${pkg?.replace(/\./g, '/')}/${file.split('/').pop()}`);
    const serviceName = service.slice(service.lastIndexOf('.') + 1);
    expect(`${pkg}.${serviceName}`).toBe(service as ContractServiceName);
    expect(text).toMatch(new RegExp(`^service ${serviceName} \\{`, 'm'));
  });

  it('grpc/health/v1/health.proto is byte-identical to upstream grpc-proto', () => {
    // sha256 of https://github.com/grpc/grpc-proto/blob/master/grpc/health/v1/health.proto (with Health.List)
    const digest = createHash('sha256').update(readFileSync(join(PROTO_ROOT, 'grpc/health/v1/health.proto'))).digest('hex');
    expect(digest).toBe('3600080a2b5b83ac9e90f0cac3ce4d97fa0a718639e6a380be3f839a019b3f07');
  });
});
