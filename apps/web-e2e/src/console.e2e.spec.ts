import { getFreePort, waitUntil } from '@failsoft/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
// The local platform's definition (pure data), to start one extra gateway as compose or
// Kubernetes would: same variables, no control channel.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { instanceEnv, serviceMain } from '../../cli/src/app/topology';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { serviceRedisAuth } from '../../cli/src/app/local-platform/redis-auth';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { RedisPasswords } from '../../cli/src/app/secrets';
import { closePage, launchBrowser, newPage, pageErrors, screenshot, signIn, workspace } from './support/browser';
import { progress, startWebPlatform, stopWebPlatform, type Platform } from './support/platform';

/**
 * The mesh console (`/console`) in a real headless Chromium against the real local platform
 * (`npm start`'s code, with its control channel), through the front door: every process of the
 * topology as a chip, and the buttons for real: "Kill all likes" takes both likes processes down,
 * the gateway's breaker for likes opens, the web app shows its likes notice; "Revive all likes"
 * brings them back, the breaker closes and the notice clears. Then the same console served by a
 * gateway started without the control channel (as compose or Kubernetes run it): the topology
 * shows, the buttons are disabled with the reason. Screenshots: test-artifacts/web-e2e/console-*.png.
 */
jest.setTimeout(240_000);

let platform: Platform;
let browser: Browser;
let consolePage: Page;
let postIds: string[] = [];
const shots: string[] = [];

async function shot(p: Page, name: string): Promise<void> {
  const path = await screenshot(p, name);
  shots.push(path);
  progress(`screenshot ${path}`);
}

/** Errors of the page other than the browser's log lines for answers the page handles (4xx/5xx). */
function unexpectedErrors(p: Page): string[] {
  return pageErrors(p).filter((line) => !/Failed to load resource: the server responded with a status of (4\d\d|5\d\d)/.test(line));
}

/** Reads a few posts through the front door: each read asks likes for its count at the gateway, so the gateways' likes breakers see calls. */
async function readPosts(): Promise<string[]> {
  const degraded: string[] = [];
  for (const id of postIds) {
    const res = await fetch(`${platform.url}/api/posts/${id}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    if (res?.ok) degraded.push(...((await res.json()) as { degraded: string[] }).degraded);
  }
  return degraded;
}

/** Signs the console page in as `user` (the operator's password is the platform's own, from its secrets file). */
async function consoleSignIn(p: Page, user: string): Promise<void> {
  const password = user === 'operator' ? (JSON.parse(readFileSync(platform.paths.secrets, 'utf8')) as { operatorPassword: string }).operatorPassword : 'failsoft';
  await p.getByLabel('User').selectOption(user);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.locator('#session-user').filter({ hasText: user }).waitFor({ state: 'visible' });
}

/** The chip of instance `id` in the console. */
const chip = (p: Page, id: string) => p.locator(`li.chip[data-instance="${id}"]`);
/** The card of a service in the console. */
const card = (p: Page, service: string) => p.locator(`section.service[data-service="${service}"]`);

beforeAll(async () => {
  [platform, browser] = await Promise.all([startWebPlatform('console'), launchBrowser()]);
  const feed = (await (await fetch(`${platform.url}/api/feed?limit=5`)).json()) as { items: Array<{ id: string }> };
  postIds = feed.items.map((i) => i.id).slice(0, 3);
  if (postIds.length === 0) throw new Error('the seeded platform has no posts: the console test reads posts to drive calls to likes');
});

afterAll(async () => {
  progress(`screenshots: ${shots.join(', ')}`);
  await browser?.close();
  await stopWebPlatform(platform);
});

describe('the mesh console on the local platform', () => {
  it('shows every instance, zone, Redis node, sentinel and the trending leader, live', async () => {
    consolePage = await newPage(browser, platform.url);
    await consolePage.goto('/console');
    // nothing of the topology before a sign-in (it names pids, ports and the Redis topology)
    await consolePage.locator('#sign-in-needed').waitFor({ state: 'visible' });
    expect(await consolePage.locator('#stream-state').textContent()).toBe('sign in to see the live topology');
    expect(await consolePage.locator('li.chip[data-instance]').count()).toBe(0);
    // a demo user watches
    await consoleSignIn(consolePage, 'bob');
    await consolePage.locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    const instances = (['upload', 'likes', 'feed', 'gateway'] as const).flatMap((s) => platform.instancesOf(s));
    expect(instances).toHaveLength(8);
    for (const id of instances) {
      await chip(consolePage, id).waitFor({ state: 'visible' });
      await consolePage.locator(`li.chip[data-instance="${id}"][data-state="up"]`).waitFor({ state: 'attached', timeout: 30_000 });
    }
    const zones = await consolePage.locator('section.service:not([data-service="haproxy"]) li.chip[data-instance] .zone-tag').allTextContents();
    expect([...new Set(zones)].sort()).toEqual(['zone-a', 'zone-b']);
    // the front door card: both HAProxy processes, active-active on one port, each with its own buttons
    expect(await card(consolePage, 'haproxy').locator('h3').textContent()).toBe('front door');
    for (const id of platform.frontDoorIds()) {
      await consolePage.locator(`li.chip[data-instance="${id}"][data-front-door-role="active"]`).waitFor({ state: 'attached', timeout: 30_000 });
      expect(await chip(consolePage, id).locator('button[data-action="kill"]').count()).toBe(1);
    }
    expect(platform.frontDoorIds()).toEqual(['haproxy-1', 'haproxy-2']);
    await waitUntil(async () => (await consolePage.locator('#redis-nodes li.chip[data-state="up"]').count()) === 3, { timeoutMs: 20_000, message: '3 Redis data nodes up' });
    expect(await consolePage.locator('#redis-nodes li.chip[data-role="master"]').count()).toBe(1);
    await waitUntil(async () => (await consolePage.locator('#redis-sentinels li.chip[data-state="up"]').count()) === 3, { timeoutMs: 20_000, message: '3 sentinels up' });
    // exactly one feed instance wears the crown
    await waitUntil(async () => (await consolePage.locator('li.chip[data-leader="true"]').count()) === 1, { timeoutMs: 30_000, message: 'a trending leader' });
    expect(await consolePage.locator('li.chip[data-leader="true"]').getAttribute('data-instance')).toMatch(/^feed-[12]$/);
    // "as seen by" one of the gateways; the buttons wait for the operator and say so
    expect(await consolePage.locator('#seen-by').textContent()).toMatch(/^gateway-[12] \(zone-[ab]\)$/);
    const killAll = consolePage.getByRole('button', { name: 'Kill all likes' });
    await waitUntil(async () => (await killAll.getAttribute('aria-describedby')) === 'operator-needed', { timeoutMs: 10_000, message: 'the buttons to point at the operator hint' });
    expect(await killAll.isDisabled()).toBe(true);
    await consolePage.locator('#operator-needed').waitFor({ state: 'visible' });
    // the traffic charts are there, with their numbers
    expect(await consolePage.locator('#charts figure[data-chart]').count()).toBe(4);
    await shot(consolePage, 'console-topology');
    // the same page on a phone-sized screen
    const phone = await newPage(browser, platform.url, { width: 390, height: 844 });
    await phone.goto('/console');
    await consoleSignIn(phone, 'bob');
    await phone.locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(phone, 'console-phone');
    expect(unexpectedErrors(phone)).toEqual([]);
    await closePage(phone);
  });

  it('"Kill all likes": the chips go down, the breaker for likes opens, the app shows its likes notice; "Revive all likes" clears it all', async () => {
    const p = consolePage;
    await p.getByRole('button', { name: 'Sign out' }).click();
    await consoleSignIn(p, 'operator');
    const killAll = p.getByRole('button', { name: 'Kill all likes' });
    await waitUntil(async () => !(await killAll.isDisabled()), { timeoutMs: 10_000, message: 'the buttons to be enabled after sign-in' });

    // everything is healthy before (a loaded machine may miss a deadline now and then: wait for whole answers)
    await waitUntil(async () => (await readPosts()).length === 0, { timeoutMs: 60_000, intervalMs: 1000, message: 'posts served whole before the kill' });
    await p.locator('section.service[data-service="likes"][data-breaker="closed"]').waitFor({ state: 'attached', timeout: 30_000 });

    await killAll.click();
    await p.locator('#action-log .log-ok').filter({ hasText: 'Kill all likes: done' }).waitFor({ state: 'attached', timeout: 60_000 });
    for (const id of platform.instancesOf('likes')) await p.locator(`li.chip[data-instance="${id}"][data-state="down"]`).waitFor({ state: 'attached', timeout: 30_000 });
    // held down by the platform (not restarted by its supervisor)
    expect(platform.instancesOf('likes').map((id) => platform.process(id).state).filter((state) => state === 'running')).toEqual([]);
    // reads of posts now call a dead likes from both gateways: the console's gateway opens its breaker
    await waitUntil(
      async () => {
        await readPosts();
        return (await card(p, 'likes').getAttribute('data-breaker')) === 'open';
      },
      { timeoutMs: 60_000, intervalMs: 500, message: "the console's gateway to open its breaker for likes" },
    );
    expect(await card(p, 'likes').locator('[data-role="service-breaker"]').textContent()).toMatch(/^breaker open at gateway-[12]$/);
    expect(await readPosts()).toContain('likes');
    await shot(p, 'console-likes-killed');

    // the web app, in another page, shows the likes notice
    const app = await newPage(browser, platform.url);
    await signIn(app, 'alice');
    const notice = app.locator('#notices [data-notice="likes"]');
    await waitUntil(
      async () => {
        if (await notice.isVisible()) return true;
        await app.getByRole('button', { name: 'Refresh' }).click();
        return false;
      },
      { timeoutMs: 60_000, intervalMs: 2000, message: "the app's likes notice" },
    );
    await shot(app, 'console-app-likes-notice');

    // by keyboard this time: the focus stays on the button through the live updates, the result is announced
    await p.getByRole('button', { name: 'Revive all likes' }).focus();
    await p.keyboard.press('Enter');
    await p.locator('#action-log[role="status"] .log-ok').filter({ hasText: 'Revive all likes: done' }).waitFor({ state: 'attached', timeout: 60_000 });
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Revive all likes');
    for (const id of platform.instancesOf('likes')) await p.locator(`li.chip[data-instance="${id}"][data-state="up"]`).waitFor({ state: 'attached', timeout: 60_000 });
    await waitUntil(
      async () => {
        await readPosts();
        return (await card(p, 'likes').getAttribute('data-breaker')) === 'closed';
      },
      { timeoutMs: 60_000, intervalMs: 500, message: "the console's gateway to close its breaker for likes again" },
    );
    // each instance's own breaker (outlier detection) lets it back in once a probe succeeds
    await waitUntil(
      async () => {
        await readPosts();
        const states = await Promise.all(platform.instancesOf('likes').map((id) => chip(p, id).getAttribute('data-breaker')));
        return states.every((state) => state === 'closed');
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'the breakers of both likes instances to close again' },
    );
    await waitUntil(async () => (await readPosts()).length === 0, { timeoutMs: 30_000, intervalMs: 1000, message: 'posts served whole again' });
    await waitUntil(
      async () => {
        if (!(await notice.isVisible())) return true;
        await app.getByRole('button', { name: 'Refresh' }).click();
        return false;
      },
      { timeoutMs: 60_000, intervalMs: 2000, message: "the app's likes notice to clear" },
    );
    await shot(p, 'console-revived');
    await shot(app, 'console-app-notice-cleared');
    expect(unexpectedErrors(p)).toEqual([]);
    await closePage(app);
  });

  it('adds a fault rule from the form, lists it, and clears it', async () => {
    const p = consolePage;
    await p.getByLabel('Service', { exact: true }).selectOption('likes');
    await p.getByLabel('Method', { exact: true }).fill('Counts');
    await p.getByLabel('Delay (ms)', { exact: true }).fill('150');
    await p.getByRole('button', { name: 'Add fault rule' }).click();
    await p.locator('#fault-list li').filter({ hasText: 'likes.Counts: delay 150 ms' }).waitFor({ state: 'visible', timeout: 30_000 });
    await shot(p, 'console-fault');
    await p.getByRole('button', { name: 'Clear faults' }).click();
    await p.locator('#fault-list li').first().waitFor({ state: 'detached', timeout: 30_000 });
    await p.locator('#fault-empty').waitFor({ state: 'visible' });
    // bad input: the server's message is shown, nothing is added
    await p.getByLabel('Delay (ms)', { exact: true }).fill('0');
    await p.getByLabel('Abort (%)', { exact: true }).fill('0');
    await p.getByRole('button', { name: 'Add fault rule' }).click();
    await p.locator('#action-log .log-error').filter({ hasText: /injects nothing/ }).waitFor({ state: 'visible', timeout: 15_000 });
    expect(await p.locator('#fault-list li').count()).toBe(0);
  });
});

describe('the console on a gateway without the control channel (as docker compose or Kubernetes run it)', () => {
  let child: ChildProcess | undefined;
  let url: string;
  let secrets: { failsoftToken: string; authSecret: string; operatorPassword: string; redis: RedisPasswords };

  beforeAll(async () => {
    const port = await getFreePort();
    secrets = JSON.parse(readFileSync(platform.paths.secrets, 'utf8')) as typeof secrets;
    const env = instanceEnv(
      { id: 'gateway-9', service: 'gateway', index: 9, zone: 'zone-c' },
      { httpPort: port },
      { sentinels: platform.runState().redis.sentinels.map((s) => ({ host: s.host, port: s.port })), failsoftToken: secrets.failsoftToken, authSecret: secrets.authSecret, operatorPassword: secrets.operatorPassword, logLevel: 'warn', redisAuth: serviceRedisAuth(secrets.redis) },
    );
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FAILSOFT_CONTROL_')));
    child = spawn(process.execPath, [join(workspace, serviceMain('gateway'))], { cwd: workspace, env: { ...inherited, ...env }, stdio: 'ignore' });
    url = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 60_000, message: 'the extra gateway (no control channel) to be ready' });
  });

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('shows the topology it sees, with every button disabled and the reason next to them', async () => {
    const p = await newPage(browser, url);
    await p.goto('/console');
    await consoleSignIn(p, 'alice');
    await p.locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    expect(await p.locator('#seen-by').textContent()).toBe('gateway-9 (zone-c)');
    const reason = p.locator('#control-reason');
    await reason.waitFor({ state: 'visible' });
    expect(await reason.textContent()).toMatch(/without the local platform's control channel \(docker compose \/ Kubernetes\): use `failsoft kill \.\.\. --compose` or kubectl/);
    // the instances it discovered itself
    for (const id of [...platform.instancesOf('likes'), ...platform.instancesOf('feed'), ...platform.instancesOf('upload')]) {
      await chip(p, id).waitFor({ state: 'visible', timeout: 30_000 });
    }
    // the buttons stay disabled and point at the reason
    const buttons = p.locator('button[data-action]');
    const count = await buttons.count();
    expect(count).toBeGreaterThan(10);
    for (let i = 0; i < count; i++) {
      const b = buttons.nth(i);
      expect({ button: await b.textContent(), disabled: await b.isDisabled(), describedBy: await b.getAttribute('aria-describedby') }).toEqual({
        button: await b.textContent(),
        disabled: true,
        describedBy: 'control-reason',
      });
    }
    await expect(p.getByRole('button', { name: 'Kill all likes' }).isDisabled()).resolves.toBe(true);
    // and the API says the same: a member is refused (403), the operator hears why nothing can be done here (503)
    const act = (token: string) => fetch(`${url}/api/console/actions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ action: 'kill-service', target: 'likes' }) });
    const asAlice = await act(await p.evaluate(() => JSON.parse(sessionStorage.getItem('failsoft.session') ?? '{}').token as string));
    expect(asAlice.status).toBe(403);
    expect(((await asAlice.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const signedIn = await fetch(`${url}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'operator', password: secrets.operatorPassword }) });
    const res = await act(((await signedIn.json()) as { token: string }).token);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CONTROL_UNAVAILABLE');
    expect(platform.instancesOf('likes').map((id) => platform.process(id).state)).toEqual(['running', 'running']);
    await shot(p, 'console-no-control');
    expect(unexpectedErrors(p)).toEqual([]);
    await closePage(p);
  });
});
