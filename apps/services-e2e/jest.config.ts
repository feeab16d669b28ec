export default {
  displayName: 'services-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testTimeout: 60000,
};
