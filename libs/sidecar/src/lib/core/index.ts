export { type CallInfo, type PolicyContext, type PolicyFn, type IPolicy, NoopPolicy, wrap, toContext, anonymousCall } from './policy';
export { type ServiceInstance } from './instance';
export { SidecarError, type SidecarErrorCode, isSidecarError, InvalidOptionsError, isInvalidOptionsError } from './sidecar.error';
export { assertNumber, assertString, assertOneOf, assertObject, show } from './validate';
export { type Disposable, type Event, EventEmitter } from './event';
export { type CallScope, type TraceContext, runInCallScope, currentCallScope } from './call-scope';
export { MetadataKeys } from './metadata-keys';
