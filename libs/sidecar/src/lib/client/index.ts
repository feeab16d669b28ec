export { ChannelPool, DEFAULT_CHANNEL_OPTIONS } from './channel-pool';
export { NoHealthyInstanceError, isNoHealthyInstanceError } from './no-healthy-instance.error';
export {
  ServiceClient,
  type ServiceClientOptions,
  type ClientRetryOptions,
  type ClientBulkheadOptions,
  type CallOptions,
  type InstanceSnapshot,
  type DownstreamSnapshot,
  type UnaryMethod,
  type TypedClient,
} from './service-client';
