export default {
  displayName: 'chaos-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // each spec file starts the whole platform once and breaks it on purpose
  testTimeout: 300_000,
  // the platform is a tree of real processes: never two spec files at once
  maxWorkers: 1,
};
