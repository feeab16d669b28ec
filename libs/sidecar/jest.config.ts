export default {
  displayName: 'sidecar',
  preset: '../../jest.preset.js',
  rootDir: '.',
  coverageDirectory: '../../coverage/libs/sidecar',
};
