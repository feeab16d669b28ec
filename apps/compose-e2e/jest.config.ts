export default {
  displayName: 'compose-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // one `docker compose up -d --build --wait` for the whole suite (a unique project name and a free
  // front door port), torn down with `down -v` at the end, also when a spec or the set-up fails
  globalSetup: '<rootDir>/src/support/global-setup.ts',
  globalTeardown: '<rootDir>/src/support/global-teardown.ts',
  testTimeout: 240_000,
  // one compose platform: never two spec files at once
  maxWorkers: 1,
};
