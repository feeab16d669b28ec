export default {
  displayName: 'deploy-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testTimeout: 120000,
};
