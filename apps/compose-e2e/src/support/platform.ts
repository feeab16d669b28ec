import { randomUUID } from 'node:crypto';
import { waitUntil } from '@failsoft/testing';
// The platform-e2e suite's API client, load and images (apps have no import alias, hence relative imports).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Api, USERS, describe as describeResult, type ApiResult, type UploadFile, type User } from '../../../platform-e2e/src/support/api';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { smallPng } from '../../../platform-e2e/src/support/images';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { describeFailures, formatFigures, SteadyLoad, type LoadOptions, type LoadReport } from '../../../platform-e2e/src/support/load';
import { compose, frontDoorUrl, progress, sentinelDiagnosis } from './compose';

export { describeResult, describeFailures, formatFigures, USERS, type ApiResult, type LoadReport, type User };

/**
 * The compose gateways keep their default write limit (30 writes per 10 s per user, as a user's
 * `docker compose up` has it): the load of these suites stays below it (at most ~1.5 writes per
 * second per user), so a 429 is a failure, never noise.
 */
export const LOAD_RATES = { feed: 6, like: 3, create: 1 } as const;

/** Signed-in users, a test image and posts to like, through the front door. */
export interface Fixture {
  api: Api;
  tokens: Record<User, string>;
  image: UploadFile;
  postIds: string[];
}

/** Signs the demo users in and creates `posts` posts (as alice), waiting for them in the feed. */
export async function fixture(posts = 4): Promise<Fixture> {
  const api = new Api(frontDoorUrl());
  const tokens = {} as Record<User, string>;
  for (const user of USERS) tokens[user] = await api.signIn(user);
  const image = await smallPng(48, 7);
  const postIds: string[] = [];
  for (let i = 0; i < posts; i++) postIds.push(await createPostOnceWritable(api, tokens.alice, image, `compose-e2e post ${i}`, 'a setup post'));
  await waitUntil(async () => ((await api.feed()).json?.items.length ?? 0) >= posts, { timeoutMs: 30_000, message: 'the setup posts in the feed' });
  return { api, tokens, image, postIds };
}

/** A steady load of the three user actions through the front door (bounded in time and requests). */
export function load(f: Fixture, options: Partial<LoadOptions> = {}): SteadyLoad {
  return new SteadyLoad({ api: f.api, tokens: USERS.map((u) => f.tokens[u]), postIds: f.postIds, image: f.image, rates: { ...LOAD_RATES }, maxDurationMs: 120_000, ...options }).start();
}

/** Waits until the load made `n` more requests (a count, not a time). */
export async function moreRequests(l: SteadyLoad, n: number, timeoutMs = 90_000): Promise<void> {
  const target = l.count + n;
  await waitUntil(() => l.count >= target, { timeoutMs, intervalMs: 20, message: `${n} more requests of the load` });
}

/** Fails with every non-2xx answer listed. */
export function expectNoErrors(report: LoadReport, what: string): void {
  if (report.non2xx > 0) throw new Error(`${what}: ${report.non2xx} of ${report.requests} requests were not 2xx:\n${describeFailures(report)}`);
  expect(report.non2xx).toBe(0);
}

/** A measured figure on stderr: `FIGURE <name> {...}`. */
export function figure(name: string, data: Record<string, unknown>): void {
  progress(`FIGURE ${name} ${JSON.stringify(data)}`);
}

/** The load's figures per op, for a FIGURE line. */
export function loadFigures(report: LoadReport): Record<string, string> {
  return { feed: formatFigures('', report.byOp.feed).trim(), create: formatFigures('', report.byOp.create).trim(), like: formatFigures('', report.byOp.like).trim() };
}

/** A 503 of the contract for `part` down: code, Retry-After, a message saying when to retry. */
export function expect503(res: ApiResult, part: string): void {
  const body = res.json as { error?: { code?: string; message?: string } } | undefined;
  if (res.status !== 503) throw new Error(describeResult(res, `expected 503 while ${part} is down`));
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(body?.error?.code).toBe(`${part.toUpperCase()}_UNAVAILABLE`);
  expect(body?.error?.message).toMatch(/unavailable right now; try again in \d+ s/);
}

/**
 * Creates a post, retrying while the platform answers 503 (it refuses writes it cannot make durable,
 * e.g. while a replica that could be promoted resyncs after a failover), for at most `timeoutMs`.
 * A wait is reported on stderr with its length; a timeout fails with the last answer, why upload
 * refused (its log) and what the sentinels think. Any other status fails at once.
 * @returns the new post's id.
 */
export async function createPostOnceWritable(api: Api, token: string, image: UploadFile, caption: string, what: string, timeoutMs = 90_000): Promise<string> {
  const t = Date.now();
  for (;;) {
    const res = await api.createPost(token, image, { caption, idempotencyKey: `compose-${randomUUID()}` });
    if (res.status === 201) {
      if (Date.now() - t > 1000) progress(`  ${what}: writes were refused (503) for ${Date.now() - t} ms before this one was accepted`);
      return (res.json as { post: { id: string } }).post.id;
    }
    if (res.status !== 503 || Date.now() - t > timeoutMs) {
      const refusals = await compose(['logs', '--no-color', '--tail', '400', 'upload-1', 'upload-2']).then((out) => out.split('\n').filter((l) => l.includes('post refused')).slice(-6).join('\n')).catch((error: Error) => `(no logs: ${error.message})`);
      throw new Error(`${describeResult(res, `creating ${what} through the front door (after ${Date.now() - t} ms)`)}\nupload's last refusals:\n${refusals}\n${await sentinelDiagnosis()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
