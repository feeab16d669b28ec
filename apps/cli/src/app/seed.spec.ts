import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countFeedPosts, DEMO_POSTS, renderDemoImage, seedDemoPosts } from './seed';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A fake gateway answering with `handler`. */
async function fakeGateway(handler: (req: Seen) => { status: number; body?: unknown }): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(entry);
      const { status, body } = handler(entry);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('demo seeding', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('renders real images (PNG and JPEG magic bytes)', async () => {
    const png = await renderDemoImage(DEMO_POSTS[1]);
    const jpeg = await renderDemoImage(DEMO_POSTS[0]);
    expect(png.subarray(0, 4).toString('hex')).toBe('89504e47');
    expect(jpeg.subarray(0, 3).toString('hex')).toBe('ffd8ff');
  });

  it('signs in as alice and posts each demo image once, with a stable Idempotency-Key', async () => {
    const gw = await fakeGateway((req) => {
      if (req.url === '/api/auth/sign-in') return { status: 200, body: { token: 't0k' } };
      if (req.url === '/api/feed') return { status: 200, body: { items: [] } };
      return { status: 201, body: { id: 'p1' } };
    });
    servers.push(gw.server);
    const lines: string[] = [];
    const result = await seedDemoPosts(gw.url, { log: (l) => lines.push(l) });
    expect(result).toEqual({ created: 3, warnings: [] });
    expect(JSON.parse(gw.seen[0].body.toString())).toEqual({ user: 'alice', password: 'failsoft' });
    const posts = gw.seen.filter((s) => s.url === '/api/posts');
    expect(posts.map((p) => p.headers['idempotency-key'])).toEqual(['failsoft-demo-post-1', 'failsoft-demo-post-2', 'failsoft-demo-post-3']);
    expect(posts.every((p) => p.headers['authorization'] === 'Bearer t0k')).toBe(true);
    expect(posts[0].headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(posts[0].body.toString('latin1')).toMatch(/name="caption"\r\n\r\nSunset over the harbour/);
    expect(posts[0].body.toString('latin1')).toMatch(/name="image"; filename="sunset.jpg"\r\nContent-Type: image\/jpeg/);
  });

  it('skips when the feed already has posts', async () => {
    const gw = await fakeGateway((req) => (req.url === '/api/auth/sign-in' ? { status: 200, body: { token: 't' } } : { status: 200, body: { items: [{ id: 'x' }] } }));
    servers.push(gw.server);
    expect(await seedDemoPosts(gw.url, { log: () => undefined })).toEqual({ created: 0, skipped: 'the feed already has 1 post', warnings: [] });
    expect(gw.seen.some((s) => s.url === '/api/posts')).toBe(false);
  });

  it('warns and carries on when the gateway API is not there yet (404)', async () => {
    const gw = await fakeGateway(() => ({ status: 404, body: { message: 'Cannot POST /api/auth/sign-in' } }));
    servers.push(gw.server);
    const lines: string[] = [];
    const result = await seedDemoPosts(gw.url, { log: (l) => lines.push(l) });
    expect(result.created).toBe(0);
    expect(lines).toEqual(['[seed] the gateway API is not there yet (POST /api/auth/sign-in answered 404); no demo posts']);
  });

  it('counts the posts of a feed whatever its shape', () => {
    expect(countFeedPosts({ items: [1, 2] })).toBe(2);
    expect(countFeedPosts({ posts: [] })).toBe(0);
    expect(countFeedPosts([1])).toBe(1);
    expect(countFeedPosts({ error: 'x' })).toBeUndefined();
  });
});
