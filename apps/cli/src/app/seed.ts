/**
 * Demo content: a few posts with images generated in-process (sharp renders simple text-free
 * shapes), created through the front door like a user would, with Idempotency-Keys so re-runs do
 * not duplicate them. Skipped when the feed already has posts. Never fails startup: when the
 * gateway API is not there (404) or refuses, it says so and moves on.
 */

/** The demo user (DESIGN: sign-in `{"user":"alice","password":"failsoft"}`). */
export const DEMO_USER = { user: 'alice', password: 'failsoft' } as const;

/** One demo post. */
export interface DemoPost {
  key: string;
  caption: string;
  contentType: 'image/png' | 'image/jpeg';
  fileName: string;
  svg: string;
}

function svgImage(width: number, height: number, from: string, to: string, shapes: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>` +
    `<rect width="${width}" height="${height}" fill="url(#g)"/>${shapes}</svg>`
  );
}

/** The demo posts (stable keys: the same post on every run). */
export const DEMO_POSTS: readonly DemoPost[] = [
  {
    key: 'failsoft-demo-post-1',
    caption: 'Sunset over the harbour',
    contentType: 'image/jpeg',
    fileName: 'sunset.jpg',
    svg: svgImage(800, 600, '#ff7e5f', '#2b1055', '<circle cx="400" cy="390" r="120" fill="#ffd26f" opacity="0.9"/><rect y="430" width="800" height="170" fill="#1b2a49" opacity="0.85"/>'),
  },
  {
    key: 'failsoft-demo-post-2',
    caption: 'Mountains after the rain',
    contentType: 'image/png',
    fileName: 'mountains.png',
    svg: svgImage(640, 480, '#a1c4fd', '#c2e9fb', '<polygon points="0,480 180,180 330,480" fill="#4b6584"/><polygon points="220,480 430,120 640,480" fill="#3c4f6b"/><circle cx="540" cy="90" r="40" fill="#fffbe6"/>'),
  },
  {
    key: 'failsoft-demo-post-3',
    caption: 'Circles in the park',
    contentType: 'image/jpeg',
    fileName: 'circles.jpg',
    svg: svgImage(720, 720, '#43e97b', '#38f9d7', '<circle cx="220" cy="240" r="130" fill="#ffffff" opacity="0.5"/><circle cx="470" cy="420" r="180" fill="#0b8457" opacity="0.55"/><circle cx="560" cy="170" r="70" fill="#f9f871" opacity="0.8"/>'),
  },
];

/** Renders a demo post's image with sharp. */
export async function renderDemoImage(post: DemoPost): Promise<Buffer> {
  // loaded lazily: only seeding needs the native module
  const sharp = (await import('sharp')).default;
  const image = sharp(Buffer.from(post.svg));
  return post.contentType === 'image/png' ? image.png().toBuffer() : image.jpeg({ quality: 85 }).toBuffer();
}

/** Outcome of {@link seedDemoPosts}. */
export interface SeedResult {
  created: number;
  /** Why nothing (more) was done, when that is the case. */
  skipped?: string;
  warnings: string[];
}

async function readBody(res: Response): Promise<{ text: string; json: unknown }> {
  const text = await res.text().catch(() => '');
  try {
    return { text, json: JSON.parse(text) };
  } catch {
    return { text, json: undefined };
  }
}

/** Number of posts in a feed response, whatever its exact shape (`{posts}`, `{items}` or an array). */
export function countFeedPosts(body: unknown): number | undefined {
  if (Array.isArray(body)) return body.length;
  if (body && typeof body === 'object') {
    for (const key of ['posts', 'items', 'data']) {
      const value = (body as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value.length;
    }
  }
  return undefined;
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 160 ? `${oneLine.slice(0, 160)}...` : oneLine;
}

/**
 * Signs in as the demo user and creates the demo posts through `baseUrl` (the front door).
 * Never throws; retries 503s a few times (safe: every post carries an Idempotency-Key).
 */
export async function seedDemoPosts(baseUrl: string, options: { log: (line: string) => void; timeoutMs?: number } = { log: () => undefined }): Promise<SeedResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const warnings: string[] = [];
  const warn = (line: string): void => {
    warnings.push(line);
    options.log(`[seed] ${line}`);
  };
  const call = async (path: string, init: RequestInit): Promise<Response> => {
    let last: Response | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      last = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      if (last.status !== 503 && last.status !== 502) return last;
      await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    }
    return last as Response;
  };
  try {
    const signIn = await call('/api/auth/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(DEMO_USER),
    });
    const signInBody = await readBody(signIn);
    if (signIn.status === 404) {
      warn('the gateway API is not there yet (POST /api/auth/sign-in answered 404); no demo posts');
      return { created: 0, skipped: 'no API', warnings };
    }
    const token = (signInBody.json as { token?: unknown } | undefined)?.token;
    if (!signIn.ok || typeof token !== 'string') {
      warn(`sign-in as ${DEMO_USER.user} failed (${signIn.status}${signInBody.text ? `: ${snippet(signInBody.text)}` : ''}); no demo posts`);
      return { created: 0, skipped: 'sign-in failed', warnings };
    }
    const auth = { authorization: `Bearer ${token}` };
    const feed = await call('/api/feed', { method: 'GET', headers: auth });
    const existing = feed.ok ? countFeedPosts((await readBody(feed)).json) : undefined;
    if (existing !== undefined && existing > 0) return { created: 0, skipped: `the feed already has ${existing} post${existing === 1 ? '' : 's'}`, warnings };
    let created = 0;
    for (const post of DEMO_POSTS) {
      const image = await renderDemoImage(post);
      const form = new FormData();
      form.append('caption', post.caption);
      form.append('image', new Blob([new Uint8Array(image)], { type: post.contentType }), post.fileName);
      const res = await call('/api/posts', { method: 'POST', headers: { ...auth, 'idempotency-key': post.key }, body: form });
      const body = await readBody(res);
      if (res.status === 404) {
        warn('the gateway API has no POST /api/posts yet (404); no demo posts');
        return { created, skipped: 'no API', warnings };
      }
      if (!res.ok) {
        warn(`creating "${post.caption}" failed (${res.status}${body.text ? `: ${snippet(body.text)}` : ''})`);
        continue;
      }
      created++;
    }
    return { created, warnings };
  } catch (error) {
    warn(`could not seed demo posts (${(error as Error).message}); the platform is up anyway`);
    return { created: 0, skipped: 'error', warnings };
  }
}
