export default {
  displayName: 'sidecar-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testTimeout: 300000,
};
