import { isInvalidOptionsError } from '../core/sidecar.error';
import { assertAddress, formatAddress, parseAddress, sameView, toServiceInstance } from './service-instance';

describe('parseAddress / formatAddress', () => {
  it.each([
    ['localhost:50051', 'localhost', 50051],
    ['10.0.0.7:1', '10.0.0.7', 1],
    ['likes-1.likes.default.svc.cluster.local:65535', 'likes-1.likes.default.svc.cluster.local', 65535],
    ['[::1]:8080', '::1', 8080],
    ['[fe80::1%eth0]:80', 'fe80::1%eth0', 80],
  ])('parses %s', (address, host, port) => {
    expect(parseAddress(address)).toEqual({ host, port });
    expect(formatAddress(host, port)).toBe(address);
  });

  it('formats an IPv6 pod IP in brackets, once (a host given in brackets is not bracketed again)', () => {
    expect(formatAddress('fd00:10:244::1f', 50051)).toBe('[fd00:10:244::1f]:50051');
    expect(formatAddress('[fd00:10:244::1f]', 50051)).toBe('[fd00:10:244::1f]:50051');
    expect(parseAddress(formatAddress('fd00:10:244::1f', 50051))).toEqual({ host: 'fd00:10:244::1f', port: 50051 });
  });

  it.each(['localhost', 'localhost:', ':80', 'host:0', 'host:65536', 'host:8o', 'http://host:80', 'a b:80', '::1:80', '[::1]80', '[host]:80', 'host:80/x', ''])(
    'rejects %j',
    (address) => {
      expect(parseAddress(address)).toBeUndefined();
      expect(() => assertAddress('x.address', address)).toThrow(`x.address must be "host:port" (IPv6 as "[::1]:50051", port 1-65535); got ${JSON.stringify(address)}`);
    },
  );
});

describe('toServiceInstance', () => {
  it('normalises defaults and freezes', () => {
    const i = toServiceInstance('i', { id: 'likes-1', service: 'likes', address: '127.0.0.1:5000' });
    expect(i).toEqual({ id: 'likes-1', service: 'likes', address: '127.0.0.1:5000', zone: '', weight: 1, metadata: {} });
    expect(Object.isFrozen(i)).toBe(true);
  });

  it.each([
    [{ id: '', service: 'likes', address: 'h:1' }, 'i.id must be a non-empty string without spaces; got ""'],
    [{ id: 'a', service: 'li kes', address: 'h:1' }, 'i.service must be a service name (letters, digits, ".", "_", "-"); got "li kes"'],
    [{ id: 'a', service: 'likes', address: 'h' }, 'i.address must be "host:port" (IPv6 as "[::1]:50051", port 1-65535); got "h"'],
    [{ id: 'a', service: 'likes', address: 'h:1', zone: 3 }, 'i.zone must be a string; got 3'],
    [{ id: 'a', service: 'likes', address: 'h:1', weight: 0 }, 'i.weight must be a number > 0; got 0'],
    [{ id: 'a', service: 'likes', address: 'h:1', metadata: { v: 1 } }, 'i.metadata must be an object of strings; got {"v":1}'],
    ['nope', 'i must be a ServiceInstance object; got "nope"'],
  ])('rejects %j', (value, message) => {
    let error: unknown;
    try {
      toServiceInstance('i', value);
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });
});

describe('sameView', () => {
  const a = toServiceInstance('a', { id: 'a', service: 's', address: 'h:1', metadata: { v: '1' } });
  it('compares ids, addresses, zones and weights but not metadata', () => {
    expect(sameView([a], [{ ...a, metadata: { v: '2' } }])).toBe(true);
    expect(sameView([a], [{ ...a, address: 'h:2' }])).toBe(false);
    expect(sameView([a], [{ ...a, zone: 'z' }])).toBe(false);
    expect(sameView([a], [{ ...a, weight: 2 }])).toBe(false);
    expect(sameView([a], [])).toBe(false);
  });
});
