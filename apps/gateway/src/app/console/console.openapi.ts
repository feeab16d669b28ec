import { GRPC_SERVICE_NAMES } from '@failsoft/contracts';
import { CONSOLE_ACTIONS, CONSOLE_SIGNALS, INSTANCE_ID_PATTERN } from './console-action';
import { FAULT_MAX_DELAY_MS, FAULT_MAX_TTL_S } from './console-action';
import { CONSOLE_MAX_FAULTS } from './console-action-policy.service';
import { CONSOLE_MAX_STREAMS, CONSOLE_MAX_STREAMS_PER_CLIENT } from './console.constants';

const errorBody = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers === undefined ? {} : { headers }),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The console's endpoints in the gateway's OpenAPI document (spread into its `paths` by
 * openapi.document.ts, so the document keeps covering every route).
 */
export const CONSOLE_OPENAPI_PATHS = Object.freeze({
  '/api/console/snapshot': {
    get: {
      tags: ['console'],
      operationId: 'getConsoleSnapshot',
      summary: 'The topology as this gateway sees it: services, instances, breakers, Redis, trending leader, traffic, and whether actions work here',
      security: [{ bearerAuth: [] }],
      responses: {
        '401': { $ref: '#/components/responses/Unauthorized' },
        '200': {
          description:
            'The snapshot. `control.available` is false (with `reason`) on a gateway without the control channel of `failsoft up`; `platform` (every process, Redis nodes, faults) is present only with it.',
          content: { 'application/json': { schema: { type: 'object', required: ['time', 'gateway', 'services', 'redis', 'trending', 'traffic', 'control', 'platform'] } } },
        },
      },
    },
  },
  '/api/console/events': {
    get: {
      tags: ['console'],
      operationId: 'getConsoleEvents',
      summary: 'The snapshot, live: server-sent events (`event: snapshot`, one a second, and comment heartbeats)',
      security: [{ bearerAuth: [] }],
      responses: {
        '401': { $ref: '#/components/responses/Unauthorized' },
        '200': { description: 'A `text/event-stream` that lasts until the client leaves.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        '429': errorBody(`\`TOO_MANY_STREAMS\`: this gateway already serves ${CONSOLE_MAX_STREAMS} streams, or ${CONSOLE_MAX_STREAMS_PER_CLIENT} to this user or address.`, { 'Retry-After': { schema: { type: 'integer' } } }),
      },
    },
  },
  '/api/console/actions': {
    post: {
      tags: ['console'],
      operationId: 'postConsoleAction',
      summary: 'Kill or revive an instance or a whole service, fail Redis over, add or clear fault rules (local platform only; the operator only)',
      security: [{ bearerAuth: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['action'],
              additionalProperties: false,
              properties: {
                action: { type: 'string', enum: [...CONSOLE_ACTIONS] },
                target: { type: 'string', description: `An instance id (\`${INSTANCE_ID_PATTERN.source}\`) for kill/revive, a service name for kill-service/revive-service.` },
                signal: { type: 'string', enum: [...CONSOLE_SIGNALS], default: 'KILL' },
                fault: {
                  type: 'object',
                  required: ['service'],
                  additionalProperties: false,
                  properties: {
                    service: { type: 'string', enum: [...GRPC_SERVICE_NAMES] },
                    method: { type: 'string', default: '*' },
                    delayMs: { type: 'integer', minimum: 0, maximum: FAULT_MAX_DELAY_MS },
                    abortPercent: { type: 'number', minimum: 0, maximum: 100 },
                    ttlS: { type: 'integer', minimum: 1, maximum: FAULT_MAX_TTL_S, default: FAULT_MAX_TTL_S, description: 'Seconds until the rule expires by itself.' },
                  },
                },
              },
            },
            examples: { killLikes: { value: { action: 'kill-service', target: 'likes' } }, delay: { value: { action: 'add-fault', fault: { service: 'likes', method: 'Counts', delayMs: 300 } } } },
          },
        },
      },
      responses: {
        '200': { description: 'Done: `{"ok":true,"action","by","result"}` (`result` is the control channel\'s answer).', content: { 'application/json': { schema: { type: 'object' } } } },
        '400': { $ref: '#/components/responses/BadRequest' },
        '401': { $ref: '#/components/responses/Unauthorized' },
        '403': errorBody('`FORBIDDEN`: only the `operator` user may act (demo users watch); `FORBIDDEN_ORIGIN`: sent from a page of another site.'),
        '404': errorBody('The control channel knows no such instance.'),
        '409': errorBody(`\`LAST_GATEWAY\`: the target is the last ready gateway; \`LAST_FRONT_DOOR\`: the target is the last running front door; \`TOO_MANY_FAULTS\`: ${CONSOLE_MAX_FAULTS} fault rules are in force already.`),
        '429': errorBody('`RATE_LIMITED`: too many console actions by this operator; retry after `Retry-After` seconds.', { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } }),
        '502': errorBody('`CONTROL_FAILED`: the control channel could not do it.'),
        '503': errorBody('`CONTROL_UNAVAILABLE`: no control channel here (docker compose, Kubernetes) or it does not answer; the message says why.', { 'Retry-After': { schema: { type: 'integer' } } }),
      },
    },
  },
});
