export default {
  displayName: 'platform-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // each spec file starts the whole platform once (beforeAll) and breaks it on purpose; the
  // per-test timeouts are set in the specs, this is the default for hooks
  testTimeout: 180_000,
  // the platform is a tree of real processes: never two spec files at once
  maxWorkers: 1,
  // every response any test receives is checked against the gateway's OpenAPI document
  setupFilesAfterEnv: ['<rootDir>/src/support/openapi-check.ts'],
};
