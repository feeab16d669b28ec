import { createServer } from 'node:net';
import { getFreePort } from './free-port';

describe('getFreePort', () => {
  it('returns distinct-looking bindable ports that are never 6379', async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => getFreePort()));
    for (const port of ports) {
      expect(Number.isInteger(port)).toBe(true);
      expect(port).not.toBe(6379);
      await new Promise<void>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
  });
});
