export default {
  displayName: 'web-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // each spec file starts the real platform and a real Chromium
  testTimeout: 180_000,
  // the platform is a tree of real processes: never two spec files at once
  maxWorkers: 1,
};
