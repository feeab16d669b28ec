import { takeViolations } from './openapi';

/**
 * Loaded before every platform-e2e spec (jest `setupFilesAfterEnv`): a test during which any
 * response did not match the gateway's OpenAPI document fails, naming each mismatch.
 */
afterEach(() => {
  const violations = takeViolations();
  if (violations.length > 0) {
    throw new Error(`${violations.length} responses do not match the OpenAPI document (apps/gateway/src/app/openapi/openapi.document.ts):\n  ${violations.slice(0, 20).join('\n  ')}`);
  }
});
