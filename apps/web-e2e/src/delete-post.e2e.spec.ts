import { waitUntil } from '@failsoft/testing';
import type { Browser, Dialog, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { closePage, launchBrowser, newPage, pageErrors, screenshot, signIn } from './support/browser';
import { progress, startWebPlatform, stopWebPlatform, type Platform } from './support/platform';

/**
 * The Delete button of the web app (issue 11: posts deletable by their author) in a real headless
 * Chromium against the real local platform, through the front door: only the author's own posts
 * have it (a native button named "Delete", described by the caption), it is reached with the
 * keyboard, it asks for a confirmation (dismissed: nothing happens), and a confirmed delete takes
 * the post off the page, out of `GET /api/posts/:id` (404) and out of the feed, with the focus on
 * a neighbouring post. Screenshots: test-artifacts/web-e2e/delete-*.png.
 */
jest.setTimeout(240_000);

type FeedItem = { id: string; author: string; caption: string };

let platform: Platform;
let browser: Browser;
let alicePage: Page;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
/** The post alice creates through the page, and bob's post created through the API. */
let own: FeedItem;
let others: FeedItem;

async function shot(p: Page, name: string): Promise<void> {
  progress(`screenshot ${await screenshot(p, name)}`);
}

/** A real PNG (noise, so it does not compress to nothing). */
async function noisePng(size: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    pixels[i] = x >>> 24;
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

async function apiSignIn(user: 'alice' | 'bob'): Promise<string> {
  const res = await fetch(`${platform.url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: 'failsoft' }) });
  if (res.status !== 200) throw new Error(`sign-in as ${user} through the front door answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The newest posts as the API sees them. */
async function apiFeed(): Promise<FeedItem[]> {
  const res = await fetch(`${platform.url}/api/feed?limit=50`, { headers: { authorization: `Bearer ${tokens.alice}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: FeedItem[] }).items;
}

/** The feed item of a post in a page. */
function postItem(p: Page, postId: string): Locator {
  return p.locator(`#feed li[data-post-id="${postId}"]`);
}

/** The page's fetches of the feed so far (its polls). */
const feedPolls = (p: Page): Promise<number> => p.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/feed')).length);

/** Errors of the page other than the browser's own log lines for 4xx answers the app handles. */
function unexpectedErrors(p: Page): string[] {
  return pageErrors(p).filter((line) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(line));
}

/** Resolves with the next dialog of `p`, answered by `answer` (the app's window.confirm). */
function nextDialog(p: Page, answer: (dialog: Dialog) => Promise<void>): Promise<{ type: string; message: string }> {
  return new Promise((resolve, reject) => {
    p.once('dialog', (dialog) => {
      const seen = { type: dialog.type(), message: dialog.message() };
      answer(dialog).then(() => resolve(seen), reject);
    });
  });
}

beforeAll(async () => {
  [platform, browser] = await Promise.all([startWebPlatform('delete-post'), launchBrowser()]);
  tokens.alice = await apiSignIn('alice');
  tokens.bob = await apiSignIn('bob');
  // bob's post, through the API: another user's post on alice's page
  const form = new FormData();
  form.append('caption', `bob's post ${Date.now()}`);
  form.append('image', new Blob([new Uint8Array(await noisePng(64, 777))], { type: 'image/png' }), 'bob.png');
  const created = await fetch(`${platform.url}/api/posts`, { method: 'POST', headers: { authorization: `Bearer ${tokens.bob}`, 'idempotency-key': `delete-e2e-bob-${Date.now()}` }, body: form });
  if (created.status !== 201) throw new Error(`bob's post through the front door answered ${created.status}: ${await created.text()}`);
  others = ((await created.json()) as { post: FeedItem }).post;
}, 420_000); // may include building the services (like npm start) on a busy machine

afterAll(async () => {
  await browser?.close();
  await stopWebPlatform(platform);
});

describe('deleting your own post in the web app (real Chromium, real platform, through the front door)', () => {
  it("creates a post as alice; only alice's own posts have a Delete button, named \"Delete\" and described by the caption", async () => {
    alicePage = await newPage(browser, platform.url);
    await signIn(alicePage, 'alice');
    const caption = `to be deleted ${Date.now()}`;
    await alicePage.getByLabel('Image').setInputFiles({ name: 'mine.png', mimeType: 'image/png', buffer: await noisePng(80, 4242) });
    await alicePage.getByLabel('Caption').fill(caption);
    await alicePage.getByRole('button', { name: 'Post' }).click();
    await alicePage.locator('#upload-status', { hasText: 'Posted.' }).waitFor({ timeout: 60_000 });
    own = await waitUntil(async () => (await apiFeed()).find((item) => item.caption === caption), { timeoutMs: 30_000, message: 'the new post in GET /api/feed' });
    const mine = postItem(alicePage, own.id);
    await mine.waitFor();
    await postItem(alicePage, others.id).waitFor({ timeout: 30_000 });

    const remove = mine.getByRole('button', { name: 'Delete', exact: true });
    expect(await remove.count()).toBe(1);
    expect(await remove.isVisible()).toBe(true);
    expect(await remove.evaluate((el) => el.tagName)).toBe('BUTTON');
    const describedBy = (await remove.getAttribute('aria-describedby')) ?? '';
    expect(await alicePage.locator(`[id="${describedBy}"]`).textContent()).toBe(caption);
    // bob's post: no Delete button for alice (hidden, so out of the accessibility tree too)
    expect(await postItem(alicePage, others.id).getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await postItem(alicePage, others.id).locator('button.delete').isVisible()).toBe(false);
    // every Delete button alice sees is on one of her own posts
    const authors = await alicePage.locator('#feed li').filter({ has: alicePage.getByRole('button', { name: 'Delete', exact: true }) }).locator('.meta .author').allTextContents();
    expect(authors.length).toBeGreaterThan(0);
    expect([...new Set(authors)]).toEqual(['alice']);
    await shot(alicePage, 'delete-01-own-post');

    // the control: bob sees a Delete button on his post and none on alice's
    const bobPage = await newPage(browser, platform.url);
    try {
      await signIn(bobPage, 'bob');
      await postItem(bobPage, own.id).waitFor({ timeout: 30_000 });
      expect(await postItem(bobPage, others.id).getByRole('button', { name: 'Delete', exact: true }).isVisible()).toBe(true);
      expect(await postItem(bobPage, own.id).getByRole('button', { name: 'Delete' }).count()).toBe(0);
      expect(unexpectedErrors(bobPage)).toEqual([]);
    } finally {
      await closePage(bobPage);
    }
    // and the API refuses alice bob's post (the button is not the only guard)
    const refused = await fetch(`${platform.url}/api/posts/${others.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.alice}` } });
    expect({ status: refused.status, code: ((await refused.json()) as { error?: { code?: string } }).error?.code }).toEqual({ status: 403, code: 'NOT_AUTHOR' });
    expect(unexpectedErrors(alicePage)).toEqual([]);
  });

  it('reaches Delete with the keyboard; a dismissed confirmation keeps the post, a confirmed one removes it everywhere and moves the focus to a neighbour', async () => {
    const mine = postItem(alicePage, own.id);
    const remove = mine.getByRole('button', { name: 'Delete', exact: true });
    const deletes: string[] = [];
    alicePage.on('request', (r) => {
      if (r.method() === 'DELETE' && r.url().includes('/api/posts/')) deletes.push(r.url());
    });
    // keyboard: from the post's Like button, Tab goes to its Delete button
    await mine.locator('button.like').focus();
    await alicePage.keyboard.press('Tab');
    expect(await remove.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await remove.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none'); // a visible focus ring

    // Enter, then "Cancel" in the confirmation: nothing is sent, the post stays
    const dismissed = nextDialog(alicePage, (d) => d.dismiss());
    await alicePage.keyboard.press('Enter');
    expect(await dismissed).toEqual({ type: 'confirm', message: expect.stringMatching(/^Delete this post\?/) });
    await waitUntil(async () => (await remove.getAttribute('aria-busy')) === null && (await remove.isEnabled()), { timeoutMs: 10_000, message: 'the Delete button idle after the dismissed confirmation' });
    expect(deletes).toEqual([]);
    expect(await mine.count()).toBe(1);
    expect((await fetch(`${platform.url}/api/posts/${own.id}`, { headers: { authorization: `Bearer ${tokens.alice}` } })).status).toBe(200);

    // Enter again, "OK": deleted; the focus lands on the post that took its place (or the one before)
    const neighbour = await mine.evaluate((li) => ((li.nextElementSibling ?? li.previousElementSibling) as HTMLElement | null)?.dataset['postId'] ?? null);
    expect(neighbour).not.toBeNull();
    await remove.focus();
    const accepted = nextDialog(alicePage, (d) => d.accept());
    await alicePage.keyboard.press('Enter');
    expect((await accepted).type).toBe('confirm');
    await mine.waitFor({ state: 'detached', timeout: 30_000 });
    expect(deletes).toEqual([`${platform.url}/api/posts/${own.id}`]);
    const focusedIn = await alicePage.evaluate(() => (document.activeElement?.closest('#feed li') as HTMLElement | null)?.dataset['postId'] ?? `(focus on ${document.activeElement?.tagName})`);
    expect(focusedIn).toBe(neighbour);
    await shot(alicePage, 'delete-02-deleted');

    // gone from the API and from the feed, and a later poll of the page does not bring it back
    const gone = await fetch(`${platform.url}/api/posts/${own.id}`, { headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(gone.status).toBe(404);
    expect((await apiFeed()).map((item) => item.id)).not.toContain(own.id);
    expect((await apiFeed()).map((item) => item.id)).toContain(others.id);
    const polls = await feedPolls(alicePage);
    await waitUntil(async () => (await feedPolls(alicePage)) >= polls + 2, { timeoutMs: 30_000, message: 'two more feed polls of the page' });
    expect(await postItem(alicePage, own.id).count()).toBe(0);
    expect(await postItem(alicePage, others.id).count()).toBe(1);
    expect(unexpectedErrors(alicePage)).toEqual([]);
  });
});
