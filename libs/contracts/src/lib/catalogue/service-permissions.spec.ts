import { feedServiceDefinition, likesServiceDefinition, uploadServiceDefinition } from '../load-contracts';
import { CONTRACT_LIMITS } from '../limits';
import { MAX_ID_LENGTH } from '../wire';
import { GRPC_SERVICE_NAMES, PLATFORM_SERVICE_NAMES } from './service-catalogue';
import { SERVICE_MESSAGE_LIMITS, serverMessageOptions } from './service-limits';
import { callerPermissions, SERVICE_PERMISSIONS } from './service-permissions';

const definitions = { upload: uploadServiceDefinition(), likes: likesServiceDefinition(), feed: feedServiceDefinition() };

describe('service permissions', () => {
  it('names every method of every gRPC service, and only platform services as callers', () => {
    for (const service of GRPC_SERVICE_NAMES) {
      expect(Object.keys(SERVICE_PERMISSIONS[service]).sort()).toEqual(Object.keys(definitions[service]).sort());
      for (const callers of Object.values(SERVICE_PERMISSIONS[service])) {
        expect(callers.length).toBeGreaterThan(0);
        for (const caller of callers) expect(PLATFORM_SERVICE_NAMES).toContain(caller);
      }
    }
  });

  it('lets only the gateway write, and feed read like counts', () => {
    expect(callerPermissions('upload')['CreatePost']).toEqual(['gateway']);
    expect(callerPermissions('upload')['DeletePost']).toEqual(['gateway']);
    expect(callerPermissions('likes')['Like']).toEqual(['gateway']);
    expect(callerPermissions('likes')['Counts']).toEqual(['gateway', 'feed']);
    expect(() => callerPermissions('gateway')).toThrow('no gRPC permissions for "gateway"; the gRPC services are upload, likes, feed');
  });
});

describe('service message limits', () => {
  it('fits the largest valid request of each service', () => {
    const id = 'x'.repeat(MAX_ID_LENGTH);
    const counts = likesServiceDefinition().Counts.requestSerialize({ post_ids: Array.from({ length: CONTRACT_LIMITS.countsBatchMax }, () => id) });
    expect(counts.length).toBeLessThan(SERVICE_MESSAGE_LIMITS.likes.receiveBytes);
    const like = likesServiceDefinition().Like.requestSerialize({ user_id: id, post_id: id });
    expect(like.length).toBeLessThan(SERVICE_MESSAGE_LIMITS.likes.receiveBytes);
    expect(SERVICE_MESSAGE_LIMITS.upload.receiveBytes).toBe(16 * 1024 * 1024);
  });

  it('keeps likes and feed far below the 16 MiB upload limit', () => {
    expect(SERVICE_MESSAGE_LIMITS.likes.receiveBytes).toBeLessThanOrEqual(128 * 1024);
    expect(SERVICE_MESSAGE_LIMITS.feed.receiveBytes).toBeLessThanOrEqual(16 * 1024);
    expect(serverMessageOptions('feed')).toEqual({ 'grpc.max_receive_message_length': 16 * 1024, 'grpc.max_send_message_length': 4 * 1024 * 1024 });
    expect(() => serverMessageOptions('gateway')).toThrow('no message limits for "gateway"');
  });
});
