export { CONTROL_API_PREFIX, CONTROL_TOKEN_ENV, CONTROL_URL_ENV } from '@failsoft/contracts';

/** Largest request body the control channel reads (bytes). */
export const CONTROL_MAX_BODY_BYTES = 64 * 1024;
