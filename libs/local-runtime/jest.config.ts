export default {
  displayName: 'local-runtime',
  preset: '../../jest.preset.js',
  rootDir: '.',
  coverageDirectory: '../../coverage/libs/local-runtime',
};
