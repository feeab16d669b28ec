import { clientIp } from './client-ip';

const request = (peer: string, forwardedFor?: string) => ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });

describe('clientIp', () => {
  it('takes the address the platform proxy appended to X-Forwarded-For (loopback or private peer)', () => {
    expect(clientIp(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIp(request('::ffff:10.1.2.3', '1.2.3.4, 203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIp(request('172.18.0.5', '198.51.100.2'))).toBe('198.51.100.2');
    expect(clientIp(request('fd00::12', '2001:db8::1'))).toBe('2001:db8::1');
  });

  it('ignores X-Forwarded-For from any other peer, and junk in it', () => {
    expect(clientIp(request('203.0.113.9', '127.0.0.1'))).toBe('203.0.113.9');
    expect(clientIp(request('172.32.0.1', '1.1.1.1'))).toBe('172.32.0.1');
    expect(clientIp(request('127.0.0.1', 'not-an-ip'))).toBe('127.0.0.1');
    expect(clientIp(request('127.0.0.1'))).toBe('127.0.0.1');
    expect(clientIp({ headers: {} })).toBe('unknown');
  });
});
