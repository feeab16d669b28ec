import { acceptedHosts, hostName, hostOriginRefusal } from './host-origin.policy';

describe('host and origin policy', () => {
  const local = acceptedHosts('', ['127.0.0.1', '127.0.0.1']);

  it('accepts the loopback names with or without a port, and a request without Host', () => {
    for (const host of ['127.0.0.1', '127.0.0.1:8080', 'localhost:8080', 'LOCALHOST', '[::1]:8080', undefined]) expect({ host, refusal: hostOriginRefusal('GET', host, undefined, local) }).toEqual({ host, refusal: undefined });
  });

  it('refuses any other host with 421 UNKNOWN_HOST (DNS rebinding), on every method', () => {
    for (const host of ['rebind.attacker.example', 'rebind.attacker.example:8080', '127.0.0.2', 'localhost.attacker.example', '10.0.0.1']) {
      expect(hostOriginRefusal('GET', host, undefined, local)).toMatchObject({ status: 421, code: 'UNKNOWN_HOST', message: expect.stringMatching(/PUBLIC_HOSTS/) });
      expect(hostOriginRefusal('POST', host, undefined, local)?.code).toBe('UNKNOWN_HOST');
    }
  });

  it('accepts configured public names and the instance address (IPv6 in brackets), and everything with *', () => {
    const configured = acceptedHosts('failsoft.example.com, Other.example', ['fd00::7', '::']);
    expect(hostOriginRefusal('GET', 'failsoft.example.com', undefined, configured)).toBeUndefined();
    expect(hostOriginRefusal('GET', 'other.example:443', undefined, configured)).toBeUndefined();
    expect(hostOriginRefusal('GET', '[fd00::7]:8080', undefined, configured)).toBeUndefined();
    expect(hostOriginRefusal('GET', '[::]:8080', undefined, configured)?.code).toBe('UNKNOWN_HOST');
    expect(hostOriginRefusal('POST', 'anything.example', 'https://elsewhere.example', acceptedHosts('*', []))).toBeUndefined();
  });

  it('refuses a state-changing request whose Origin is another site with 403 FORBIDDEN_ORIGIN; reads and same-site pages pass', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      expect(hostOriginRefusal(method, '127.0.0.1:8080', 'https://evil.example', local)).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN' });
      expect(hostOriginRefusal(method, '127.0.0.1:8080', 'null', local)?.code).toBe('FORBIDDEN_ORIGIN');
      expect(hostOriginRefusal(method, '127.0.0.1:8080', 'file://', local)?.code).toBe('FORBIDDEN_ORIGIN');
      expect(hostOriginRefusal(method, '127.0.0.1:8080', 'http://127.0.0.1:8080', local)).toBeUndefined();
      expect(hostOriginRefusal(method, '127.0.0.1:8080', 'http://localhost:9999', local)).toBeUndefined();
    }
    expect(hostOriginRefusal('GET', '127.0.0.1', 'https://evil.example', local)).toBeUndefined();
    expect(hostOriginRefusal('HEAD', '127.0.0.1', 'https://evil.example', local)).toBeUndefined();
  });

  it('reads host names without their port', () => {
    expect([hostName('Example.COM:80'), hostName('[::1]:8080'), hostName('[::1]'), hostName('a.b')]).toEqual(['example.com', '[::1]', '[::1]', 'a.b']);
  });
});
