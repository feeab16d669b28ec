import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The browser side of the web-e2e harness: a real headless Chromium (Debian's `chromium`
 * package, driven by `playwright-core`; nothing is downloaded), pages bound to a platform's
 * front door, screenshots kept as test artifacts, and signing in through the app's own form.
 *
 * ```ts
 * const browser = await launchBrowser();
 * const page = await newPage(browser, platform.url);           // 1280×800; pass { width: 375 } for a phone
 * await signIn(page, 'alice');                                   // the web app at `/`
 * await screenshot(page, 'app-signed-in');                       // test-artifacts/web-e2e/app-signed-in.png
 * expect(pageErrors(page)).toEqual([]);                          // uncaught errors and console errors
 * await browser.close();
 * ```
 */

/** The workspace root. */
export const workspace = join(__dirname, '..', '..', '..', '..');

/** Where screenshots go (git-ignored): `test-artifacts/web-e2e/`. */
export const artifactsDir = join(workspace, 'test-artifacts', 'web-e2e');

/** Chromium switches for a quiet, reproducible headless run in a container (no sandbox: runs as root). */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** The Chromium binary: `$CHROMIUM_PATH`, else `/usr/bin/chromium` (Debian's `chromium` package). */
export function chromiumPath(): string {
  return process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
}

/**
 * Launches headless Chromium. Throws a clear error naming how to install it when the binary is
 * missing (`apt-get install chromium`, or set CHROMIUM_PATH).
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium was not found at ${executablePath}: the browser tests drive a real Chromium. Install it (Debian/Ubuntu: "sudo apt-get install -y chromium") or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
    );
  }
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: 60_000 });
}

/** Options of {@link newPage}. */
export interface NewPageOptions {
  /** Viewport width in CSS pixels (default 1280). */
  width?: number;
  /** Viewport height in CSS pixels (default 800). */
  height?: number;
}

const errorsOf = new WeakMap<Page, string[]>();

/**
 * A fresh page in its own browser context (own cookies and sessionStorage) whose relative URLs
 * resolve against `baseUrl` (`page.goto('/')`). Uncaught page errors and `console.error` lines
 * are collected for {@link pageErrors}. Actions wait up to 30 s, navigations up to 60 s.
 */
export async function newPage(browser: Browser, baseUrl: string, options: NewPageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: options.width ?? 1280, height: options.height ?? 800 } });
  // generous: the machine running the suite may be busy (2 cores shared with a whole platform)
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(60_000);
  const page = await context.newPage();
  const errors: string[] = [];
  errorsOf.set(page, errors);
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  return page;
}

/** Uncaught errors and `console.error` lines of `page` so far (a page made by {@link newPage}). */
export function pageErrors(page: Page): string[] {
  return [...(errorsOf.get(page) ?? [])];
}

/** Closes `page` and its browser context. */
export async function closePage(page: Page): Promise<void> {
  await page.context().close();
}

/**
 * Saves a full-page PNG of `page` as `test-artifacts/web-e2e/<name>.png` (name: letters, digits,
 * `-`, `_`) and returns its path.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(name)) throw new Error(`screenshot name "${name}" must be 1-100 letters, digits, "-" or "_"`);
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The demo users of the gateway (password `failsoft`). */
export type DemoUser = 'alice' | 'bob' | 'carol';

/**
 * Opens the web app (`/`) and signs in as `user` through its form (password `failsoft`), then
 * waits until the app shows the user as signed in and the feed has loaded.
 */
export async function signIn(page: Page, user: DemoUser, password = 'failsoft'): Promise<void> {
  const response = await page.goto('/');
  if (response === null || !response.ok()) {
    throw new Error(`the web app did not load: GET / answered ${response?.status() ?? 'nothing'} ${(await response?.text().catch(() => '')) ?? ''}`.trim());
  }
  try {
    await page.getByLabel('User').selectOption(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#session-user').filter({ hasText: user }).waitFor({ state: 'visible' });
    await page.locator('#feed[aria-busy="false"]').waitFor({ state: 'attached', timeout: 30_000 });
  } catch (error) {
    const shown = await page
      .evaluate(() => document.body?.innerText ?? '')
      .then((text) => text.replace(/\s+/g, ' ').slice(0, 400))
      .catch((reason: unknown) => `(page unreadable: ${String(reason)})`);
    throw new Error(`signing in as ${user} at ${page.url()} failed: ${error instanceof Error ? error.message : String(error)}\nthe page shows: ${shown}`, { cause: error });
  }
}
