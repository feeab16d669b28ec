/**
 * Environment variable giving the gateway instances of `failsoft up` the URL of the control
 * channel (`http://127.0.0.1:<port>`), so the console can proxy its chaos buttons to it.
 * Set for gateway processes only.
 */
export const CONTROL_URL_ENV = 'FAILSOFT_CONTROL_URL';

/** Environment variable with the bearer token of the control channel (gateway processes only). */
export const CONTROL_TOKEN_ENV = 'FAILSOFT_CONTROL_TOKEN';

/** Path prefix of every control channel route. */
export const CONTROL_API_PREFIX = '/v1';

/** Largest request body the control channel reads (bytes). */
export const CONTROL_MAX_BODY_BYTES = 64 * 1024;
