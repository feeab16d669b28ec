/**
 * The local platform of `npm start` (`failsoft up`), as used by the commands and the e2e suites.
 * Its rooms live in `local-platform/`: LocalPlatform (the start steps and their undo), LocalRedis,
 * FrontDoor, ReadinessGate, RunStateStore; the Supervisor comes from @failsoft/local-runtime.
 */
export { runPlatform, startPlatform } from './local-platform/start-platform';
export { killLeftovers } from './local-platform/leftovers';
export type { Platform, PlatformOptions, PlatformProcess, PlatformRedis, PlatformRedisNode, StartPlatformOptions } from './local-platform/platform.types';
