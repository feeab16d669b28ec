import { pairsToMap, redisCommand, startSentinelTopology, waitUntil, type SentinelTopology } from '@failsoft/testing';
import type { ConcurrencyLimiter } from '../src/app/posts/concurrency.limiter';
import { PostsService } from '../src/app/posts/posts.service';
import { postOf, refusal, sampleImages, startUpload, status, streamLength, type UploadHarness } from './upload-harness';
import { slowGif } from './slow-gif';

/**
 * The bounded image queue of the real upload service (real Sentinel topology, sidecar gRPC path),
 * with one image job at a time and QUEUED waiting: while a slow GIF holds the job, a burst beyond
 * the queue is refused at once with RESOURCE_EXHAUSTED `QUEUE_FULL` and the queued uploads are
 * stored afterwards; a call whose deadline passes while it waits leaves the queue and is never
 * processed (no post, no event, no quota use), while a patient call behind the same GIF is.
 */
jest.setTimeout(120_000);

/** Image jobs run at once (maxConcurrentImageJobs). */
const RUNNING = 1;
/** Image jobs waiting at most (maxQueuedImageJobs). */
const QUEUED = 2;
/** Calls sent beyond what the job and the queue hold. */
const BEYOND = 3;
/** Deadline of the call that must expire in the queue, ms: well under the slow GIF's work (seconds). */
const SHORT_DEADLINE_MS = 1000;
/** Deadline of the calls that must complete, ms (generous: a loaded machine re-encodes slowly). */
const LONG_DEADLINE_MS = 100_000;

let topology: SentinelTopology;
let harness: UploadHarness;
let images: Awaited<ReturnType<typeof sampleImages>>;
/** 1200 frames of noise: seconds of re-encoding (800 took 2.5-3.5 s on 2 busy cores), within the 10 MiB cap. */
const gif = slowGif(50, 50, 1200);

beforeAll(async () => {
  [topology, images] = await Promise.all([startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 }), sampleImages()]);
  harness = await startUpload(topology, { IMAGE_JOB_TIMEOUT_S: '100' }, { maxConcurrentImageJobs: RUNNING, maxQueuedImageJobs: QUEUED });
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

/** A call followed as it runs: settled or not, and how it ended. */
interface Tracked {
  settled: boolean;
  error?: unknown;
  readonly done: Promise<void>;
}

function track(call: Promise<unknown>): Tracked {
  const tracked: Tracked = { settled: false, done: Promise.resolve() };
  (tracked as { done: Promise<void> }).done = call.then(
    () => void (tracked.settled = true),
    (error: unknown) => {
      tracked.error = error;
      tracked.settled = true;
    },
  );
  return tracked;
}

/** The service's image job limiter (read only: how many jobs run and wait). */
function imageJobs(): ConcurrencyLimiter {
  return harness.app.get(PostsService)['imageJobs'];
}

/** Starts the slow GIF upload and waits until it holds the only image job. */
async function holdTheJob(author: string): Promise<Tracked> {
  const holder = track(harness.upload.CreatePost({ author, caption: 'slow', image: gif }, { timeoutMs: LONG_DEADLINE_MS }));
  await waitUntil(() => imageJobs().running === RUNNING || holder.settled, { timeoutMs: 30_000, message: 'the slow GIF to take the image job' });
  if (holder.settled) throw new Error(`the slow GIF upload ended before it was seen running: ${String(holder.error)}`);
  return holder;
}

/** Fails clearly when the slow GIF finished too early for the scenario to mean anything. */
function expectStillHeld(holder: Tracked, what: string): void {
  if (holder.settled) {
    throw new Error(`the slow GIF finished before ${what}: either the service did not do it while its image job was busy (the protection is broken), or this machine re-encodes the GIF too fast (give slowGif more frames)`);
  }
}

/** Posts stored by `author`, from its quota record (0 when it has none). */
async function postsOf(author: string): Promise<number> {
  const master = await topology.currentMaster();
  return Number(pairsToMap((await redisCommand(master.port, ['HGETALL', `failsoft:upload:quota:${author}`])) as string[])['posts'] ?? 0);
}

describe('the image queue of the upload service', () => {
  it(`control: with the job idle, ${RUNNING + QUEUED} concurrent uploads (job + queue) all succeed`, async () => {
    const calls = Array.from({ length: RUNNING + QUEUED }, (_, i) => harness.upload.CreatePost({ author: 'calm', caption: `calm ${i}`, image: images.jpeg }, { timeoutMs: LONG_DEADLINE_MS }));
    for (const reply of await Promise.all(calls)) expect(postOf(reply).id).toMatch(/\S/);
    expect(await postsOf('calm')).toBe(RUNNING + QUEUED);
  });

  it(`refuses the ${BEYOND} uploads beyond the queue at once with RESOURCE_EXHAUSTED QUEUE_FULL; the ${QUEUED} queued are stored`, async () => {
    const streamBefore = await streamLength(topology);
    const holder = await holdTheJob('holder-burst');
    const burst = Array.from({ length: QUEUED + BEYOND }, (_, i) => track(harness.upload.CreatePost({ author: 'burst', caption: `burst ${i}`, image: images.jpeg }, { timeoutMs: LONG_DEADLINE_MS })));
    const settled = (): Tracked[] => burst.filter((call) => call.settled);
    await waitUntil(() => settled().length >= BEYOND || holder.settled, { timeoutMs: 30_000, message: `${BEYOND} burst calls to be refused` });
    expectStillHeld(holder, 'the burst was answered');
    expect(settled()).toHaveLength(BEYOND);
    expect(imageJobs().queued).toBe(QUEUED);
    for (const call of settled()) {
      expect(await refusal(Promise.reject(call.error))).toMatchObject({ code: status.RESOURCE_EXHAUSTED, errorCode: 'QUEUE_FULL', details: expect.stringMatching(/1 image jobs are running and 2 waiting/) });
    }
    await Promise.all([holder.done, ...burst.map((call) => call.done)]);
    expect(holder.error).toBeUndefined();
    expect(burst.filter((call) => call.error === undefined)).toHaveLength(QUEUED);
    expect(await postsOf('burst')).toBe(QUEUED);
    expect(await streamLength(topology)).toBe(streamBefore + 1 + QUEUED);
  });

  it('drops a call whose deadline passes in the queue without processing it; a patient call behind the same job is processed', async () => {
    const streamBefore = await streamLength(topology);
    const holder = await holdTheJob('holder-deadline');
    const late = track(harness.upload.CreatePost({ author: 'late', caption: 'too late', image: images.jpeg }, { timeoutMs: SHORT_DEADLINE_MS }));
    await waitUntil(() => imageJobs().queued === 1 || late.settled, { timeoutMs: 30_000, message: 'the short-deadline call to wait in the image queue' });
    await waitUntil(() => late.settled, { timeoutMs: SHORT_DEADLINE_MS * 20, message: `the call to end at its ${SHORT_DEADLINE_MS} ms deadline` });
    // the sidecar's own deadline or grpc-js's, whichever fires first: both say so
    expect(late.error).toBeInstanceOf(Error);
    expect((late.error as Error).message).toMatch(/deadline exceeded/i);
    // the server drops it from the queue (its call ended), while the GIF still holds the job
    await waitUntil(() => imageJobs().queued === 0 || holder.settled, { timeoutMs: 30_000, message: 'the expired call to leave the image queue' });
    expectStillHeld(holder, 'the expired call left the queue');
    // control: a call with a long deadline, queued behind the same GIF, is processed (after it: FIFO)
    const patient = track(harness.upload.CreatePost({ author: 'patient', caption: 'patient', image: images.jpeg }, { timeoutMs: LONG_DEADLINE_MS }));
    await Promise.all([holder.done, patient.done]);
    expect([holder.error, patient.error]).toEqual([undefined, undefined]);
    // the queue is FIFO: had the late call stayed queued, it would have been processed before the patient one
    expect(await postsOf('patient')).toBe(1);
    expect(await postsOf('late')).toBe(0);
    expect(await streamLength(topology)).toBe(streamBefore + 2);
  });
});
