import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT_SERVICE_NAMES } from '../service-names';
import { catalogueEntry, GRPC_SERVICE_NAMES, isPlatformServiceName, PLATFORM_SERVICE_NAMES, SERVICE_CATALOGUE } from './service-catalogue';

describe('service catalogue', () => {
  it('lists the four services once each, gRPC ones first', () => {
    expect(PLATFORM_SERVICE_NAMES).toEqual(['upload', 'likes', 'feed', 'gateway']);
    expect(GRPC_SERVICE_NAMES).toEqual(['upload', 'likes', 'feed']);
    expect(new Set(PLATFORM_SERVICE_NAMES).size).toBe(SERVICE_CATALOGUE.length);
  });

  it('names a contract and an existing .proto for every gRPC service, and checks its health under that name', () => {
    for (const entry of SERVICE_CATALOGUE) {
      if (entry.portRole !== 'grpc') continue;
      expect(CONTRACT_SERVICE_NAMES).toContain(entry.grpcService);
      expect(existsSync(join(__dirname, '../../proto', entry.proto ?? 'missing'))).toBe(true);
      expect(entry.healthName).toBe(entry.grpcService);
    }
    expect(catalogueEntry('gateway')).toMatchObject({ portRole: 'public-http', healthName: '/readyz', extraEnv: ['AUTH_SECRET', 'OPERATOR_PASSWORD', 'PUBLIC_HOSTS'] });
  });

  it('refuses an unknown service naming the known ones', () => {
    expect(() => catalogueEntry('likez')).toThrow('unknown service "likez"; the services are upload, likes, feed, gateway');
    expect(isPlatformServiceName('feed')).toBe(true);
    expect(isPlatformServiceName('haproxy')).toBe(false);
    expect(isPlatformServiceName(7)).toBe(false);
  });
});
