import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  CONTRACT_SERVICE_NAMES,
  FEED_SERVICE,
  HEALTH_SERVICE,
  LIKES_SERVICE,
  UPLOAD_SERVICE,
  contractsPackageDefinition,
  feedServiceDefinition,
  healthServiceDefinition,
  isContractsError,
  likesServiceDefinition,
  loadContracts,
  uploadServiceDefinition,
  type HealthClient,
  type HealthHandlers,
  type UploadServiceClient,
  type UploadServiceHandlers,
} from '../index';
import { loadContractsPackage } from './load-contracts';

describe('service definitions', () => {
  it.each([
    [UPLOAD_SERVICE, uploadServiceDefinition, ['CreatePost', 'GetPost', 'DeletePost', 'GetImage', 'StreamImage']],
    [LIKES_SERVICE, likesServiceDefinition, ['Like', 'Unlike', 'Counts']],
    [FEED_SERVICE, feedServiceDefinition, ['GetFeed', 'GetTrending']],
    [HEALTH_SERVICE, healthServiceDefinition, ['Check', 'List', 'Watch']],
  ] as const)('%s has its methods under fully-qualified paths', (name, load, methods) => {
    const definition = load() as grpc.ServiceDefinition;
    expect(Object.keys(definition).sort()).toEqual([...methods].sort());
    for (const method of methods) expect(definition[method].path).toBe(`/${name}/${method}`);
  });

  it('marks only Health.Watch and UploadService.StreamImage as streaming (server-streaming)', () => {
    const all = Object.values(loadContracts()).flatMap((definition: grpc.ServiceDefinition) => Object.values(definition));
    const streaming = all.filter((method) => method.requestStream || method.responseStream).map((method) => method.path);
    expect(streaming.sort()).toEqual(['/failsoft.upload.v1.UploadService/StreamImage', '/grpc.health.v1.Health/Watch']);
    expect(all.filter((method) => method.requestStream)).toEqual([]);
  });

  it('loads once and serves the same objects', () => {
    expect(loadContracts()).toBe(loadContracts());
    expect(uploadServiceDefinition()).toBe(contractsPackageDefinition()[UPLOAD_SERVICE]);
    expect(Object.keys(contractsPackageDefinition())).toEqual(expect.arrayContaining([...CONTRACT_SERVICE_NAMES]));
  });

  it('fails with PROTO_NOT_FOUND naming the missing files when the .proto files are absent', () => {
    const empty = mkdtempSync(join(tmpdir(), 'contracts-'));
    try {
      expect(() => loadContractsPackage(empty)).toThrow(expect.objectContaining({ code: 'PROTO_NOT_FOUND' }));
      try {
        loadContractsPackage(empty);
      } catch (error) {
        expect(isContractsError(error, 'PROTO_NOT_FOUND')).toBe(true);
        expect((error as Error).message).toContain('failsoft/upload/v1/upload.proto');
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the shared proto-loader options on the wire', () => {
  it('decodes int64 as decimal strings, enums as names, and fills defaults', () => {
    const { GetImage, GetPost } = uploadServiceDefinition();
    const post = GetPost.responseDeserialize(GetPost.responseSerialize({ id: 'p1', createdAtMs: 1_700_000_000_123 }));
    expect(post).toEqual({
      id: 'p1',
      author: '',
      caption: '',
      createdAtMs: '1700000000123',
      width: 0,
      height: 0,
      contentType: '',
      thumbnailWidth: 0,
      thumbnailHeight: 0,
    });
    expect(GetImage.requestDeserialize(GetImage.requestSerialize({ postId: 'p1' })).variant).toBe('ORIGINAL');
    expect(GetImage.requestDeserialize(GetImage.requestSerialize({ postId: 'p1', variant: 1 })).variant).toBe('THUMBNAIL');
  });

  it('keeps proto3 optional fields absent when unset and present when set to their zero value', () => {
    const { GetFeed } = feedServiceDefinition();
    const page = GetFeed.responseDeserialize(
      GetFeed.responseSerialize({ items: [{ post: { id: 'a' }, likeCountStale: true }, { likeCount: 0, likedByViewer: false }] }),
    );
    expect(page.items[0]).not.toHaveProperty('likeCount');
    expect(page.items[0]).not.toHaveProperty('likedByViewer');
    expect(page.items[0].likeCountStale).toBe(true);
    expect(page.items[1]).toMatchObject({ likeCount: '0', likedByViewer: false, post: null });
    expect(page).toMatchObject({ nextCursor: '', degraded: [] });
  });

  it('answers Counts as repeated PostCount in order, with int64 counts as strings', () => {
    const { Counts } = likesServiceDefinition();
    const counts = Counts.responseDeserialize(Counts.responseSerialize({ counts: [{ postId: 'b', count: '9007199254740993' }, { postId: 'a', count: 2 }] }));
    expect(counts.counts).toEqual([
      { postId: 'b', count: '9007199254740993' },
      { postId: 'a', count: '2' },
    ]);
  });
});

describe('a real gRPC round trip', () => {
  let server: grpc.Server;
  let port: number;

  beforeAll(async () => {
    server = new grpc.Server();
    const upload: Pick<UploadServiceHandlers, 'GetPost'> = {
      GetPost: (call, callback) => {
        if (!call.request.postId) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'post_id is required' });
        callback(null, { id: call.request.postId, author: 'ann', createdAtMs: 42, width: 640, height: 480 });
      },
    };
    const health: Pick<HealthHandlers, 'Check'> = {
      Check: (call, callback) => callback(null, { status: call.request.service === '' ? 'SERVING' : 'SERVICE_UNKNOWN' }),
    };
    server.addService(uploadServiceDefinition(), upload);
    server.addService(healthServiceDefinition(), health);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  });

  afterAll(() => server.forceShutdown());

  /** Makes a typed client of `definition` against the test server. */
  function client<T>(definition: grpc.ServiceDefinition, name: string): T & grpc.Client {
    const Client = grpc.makeGenericClientConstructor(definition, name);
    return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as T & grpc.Client;
  }

  it('calls UploadService.GetPost and Health.Check with the generated types', async () => {
    const uploads = client<UploadServiceClient>(uploadServiceDefinition(), 'UploadService');
    const checks = client<HealthClient>(healthServiceDefinition(), 'Health');
    try {
      const post = await new Promise((resolve, reject) => uploads.getPost({ postId: 'p7' }, (error, value) => (error ? reject(error) : resolve(value))));
      expect(post).toMatchObject({ id: 'p7', author: 'ann', createdAtMs: '42', width: 640, caption: '' });
      const bad = await new Promise<grpc.ServiceError | null>((resolve) => uploads.GetPost({}, (error) => resolve(error)));
      expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'post_id is required' });
      const health = await new Promise((resolve, reject) => checks.check({ service: '' }, (error, value) => (error ? reject(error) : resolve(value))));
      expect(health).toEqual({ status: 'SERVING' });
    } finally {
      uploads.close();
      checks.close();
    }
  });
});
