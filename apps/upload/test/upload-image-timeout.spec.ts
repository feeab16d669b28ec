import { startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { dataKeys, postOf, refusal, sampleImages, startUpload, status, type UploadHarness } from './upload-harness';
import { slowGif } from './slow-gif';

/**
 * The image job time limit on the real upload service (IMAGE_JOB_TIMEOUT_S made 1 s): a GIF that
 * takes libvips seconds to re-encode is refused INVALID_ARGUMENT `CORRUPT` ("took longer than
 * 1 s"), nothing is stored, and the service goes on serving the next upload.
 */
jest.setTimeout(90_000);

let topology: SentinelTopology;
let harness: UploadHarness;
let images: Awaited<ReturnType<typeof sampleImages>>;

beforeAll(async () => {
  [topology, images] = await Promise.all([startSentinelTopology({ replicas: 1, sentinels: 1, quorum: 1 }), sampleImages()]);
  harness = await startUpload(topology, { IMAGE_JOB_TIMEOUT_S: '1' });
}, 90_000);

afterAll(async () => {
  await harness?.close();
  await topology?.stop();
});

it('refuses an image whose processing outlasts IMAGE_JOB_TIMEOUT_S with CORRUPT, stores nothing, and stays up', async () => {
  const gif = slowGif();
  expect(gif.length).toBeLessThan(10 * 1024 * 1024); // within the byte cap: only the time limit can refuse it
  const keysBefore = await dataKeys(topology);
  const refused = await refusal(harness.upload.CreatePost({ author: 'mallory', caption: 'slow', image: gif }));
  expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, errorCode: 'CORRUPT', details: expect.stringMatching(/The GIF image took longer than 1 s to process/) });
  expect(await dataKeys(topology)).toEqual(keysBefore);
  // the service is still up, and its image jobs free: the next uploads (a GIF among them) succeed
  for (const image of [images.jpeg, images.gif]) expect(postOf(await harness.upload.CreatePost({ author: 'alice', caption: 'after', image })).id).toMatch(/\S/);
});
