import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
// The gateway's own OpenAPI document (apps have no import alias, hence the relative import, as for
// the cli): every response the suite receives is checked against it, so the document cannot drift.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { OPENAPI_DOCUMENT } from '../../../gateway/src/app/openapi/openapi.document';

/** One response as the suite received it. */
export interface ReceivedResponse {
  method: string;
  url: string;
  /** The path exactly as sent, when it differs from what `url` parses to (`..` segments). */
  path?: string;
  status: number;
  headers: Headers;
  /** Parsed JSON body (undefined when not JSON). */
  json: unknown;
}

interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, { required?: boolean; schema?: unknown }>;
}
type Operation = { responses: Record<string, ResponseObject> };
type PathItem = Partial<Record<'get' | 'post' | 'put' | 'delete' | 'patch', Operation>>;

const DOCUMENT_ID = 'failsoft-openapi.json';
const document = JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)) as { paths: Record<string, PathItem>; components: { responses: Record<string, ResponseObject> } };
// OpenAPI 3.1 schemas are JSON Schema 2020-12; the document's other members are not schema keywords (strict off)
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(document, DOCUMENT_ID);
const compiled = new Map<string, ValidateFunction>();

/** `/api/posts/{id}/likes` → a regex over concrete paths; literal paths are tried first. */
const templates = Object.keys(document.paths)
  .map((template) => ({ template, regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`), literal: !template.includes('{') }))
  .sort((a, b) => Number(b.literal) - Number(a.literal));

const pointer = (...parts: string[]): string => `${DOCUMENT_ID}#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

function validator(ref: string): ValidateFunction {
  let validate = compiled.get(ref);
  if (!validate) {
    validate = ajv.getSchema(ref);
    if (!validate) throw new Error(`no schema at ${ref} in the OpenAPI document`);
    compiled.set(ref, validate);
  }
  return validate;
}

/** The response object (and its JSON pointer) after following a `$ref` to `components/responses`. */
function resolve(response: ResponseObject, at: string[]): { response: ResponseObject; at: string[] } {
  if (!response.$ref) return { response, at };
  const name = response.$ref.replace('#/components/responses/', '');
  return { response: document.components.responses[name], at: ['components', 'responses', name] };
}

function bodyViolations(ref: string, body: unknown, what: string): string[] {
  const validate = validator(ref);
  if (validate(body)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e) => `${what}: body${e.instancePath} ${e.message}${e.params && 'allowedValues' in e.params ? '' : ` ${JSON.stringify(e.params)}`} (got ${JSON.stringify(body).slice(0, 200)})`);
}

/**
 * What in `received` the OpenAPI document does not describe: an undocumented path, method or
 * status, a content type the operation does not answer, a JSON body that does not match its
 * schema (error codes included: `error.code` is an enum), a required header missing. Empty when the
 * response is exactly as documented. A request without an HTTP answer (status 0) has nothing to check.
 */
export function responseViolations(received: ReceivedResponse): string[] {
  if (received.status === 0) return [];
  const path = (received.path ?? new URL(received.url).pathname).split('?')[0];
  const method = received.method.toLowerCase() as keyof PathItem;
  const what = `${received.method} ${path} → ${received.status}`;
  const errorSchema = `${DOCUMENT_ID}#/components/schemas/Error`;
  const match = templates.find((t) => t.regex.test(path));
  if (!match) {
    // no endpoint: the documented 404 NO_ROUTE (or a 400 for a URL that cannot be routed at all)
    if (received.status !== 404 && received.status !== 400) return [`${what}: the path is not in the OpenAPI document`];
    return bodyViolations(errorSchema, received.json, what);
  }
  const operation = document.paths[match.template][method];
  if (!operation) {
    if (received.status !== 405) return [`${what}: ${received.method} ${match.template} is not in the OpenAPI document`];
    return bodyViolations(errorSchema, received.json, what);
  }
  const key = operation.responses[String(received.status)] ? String(received.status) : operation.responses['default'] ? 'default' : undefined;
  if (!key) return [`${what}: status ${received.status} is not documented for ${received.method} ${match.template} (documented: ${Object.keys(operation.responses).join(', ')})`];
  const { response, at } = resolve(operation.responses[key], ['paths', match.template, method, 'responses', key]);
  const violations: string[] = [];
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    if (header.required && !received.headers.has(name)) violations.push(`${what}: the required header ${name} is missing`);
  }
  const type = (received.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const content = response.content ?? {};
  if (Object.keys(content).length === 0) return violations;
  if (!(type in content)) return [...violations, `${what}: content type ${type || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`];
  if (type === 'application/json' && content[type].schema !== undefined) violations.push(...bodyViolations(pointer(...at, 'content', type, 'schema'), received.json, what));
  return violations;
}

/** Violations not yet reported by {@link takeViolations}. */
const pending: string[] = [];
/** Responses checked so far. */
export const checked = { responses: 0 };

/**
 * Checks one response against the document and keeps what does not match (never throws: load loops
 * call it). `openapi-check.ts` fails the running test with them (jest `afterEach`).
 */
export function recordResponse(received: ReceivedResponse): void {
  checked.responses++;
  pending.push(...responseViolations(received));
}

/** The violations recorded since the last call, and forgets them. */
export function takeViolations(): string[] {
  return pending.splice(0);
}
