/** Small builders for the OpenAPI document (openapi.document.ts, openapi.components.ts). */

/** A reference to a schema of `components.schemas`. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A reference to a response of `components.responses`. */
export const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
/** A JSON response with `schema`. */
export const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
/** A text response (Prometheus text, HTML...). */
export const text = (description: string, contentType = 'text/plain') => ({ description, content: { [contentType]: { schema: { type: 'string' } } } });
