/** Injection token of the StaticMount list served by WebModule. */
export const WEB_MOUNTS = Symbol('WEB_MOUNTS');
