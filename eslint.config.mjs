import nx from '@nx/eslint-plugin';

/**
 * Module boundaries (enforced, not advisory):
 * - type:app may use libs (type:lib) and the local-process runtime (type:runtime); type:lib only
 *   libs; type:runtime libs and itself; nothing imports an app.
 * - type:testing (harnesses) is for tests only: e2e projects, and the spec, test/ and bench/ files
 *   of any project (TEST_FILES below). Production code of an app or a library that imports
 *   @failsoft/testing fails lint (apps/deploy-e2e/src/module-boundaries.e2e.spec.ts proves it).
 * - each service (scope:gateway|upload|likes|feed) may use only its own scope and scope:shared,
 *   so services never import each other.
 */

/** Files that are tests (they may use the type:testing harnesses). */
const TEST_FILES = ['**/*.spec.ts', '**/test/**/*.ts', '**/bench/**/*.ts', '**/jest.config.ts'];

const SCOPES = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
  { sourceTag: 'scope:upload', onlyDependOnLibsWithTags: ['scope:upload', 'scope:shared'] },
  { sourceTag: 'scope:likes', onlyDependOnLibsWithTags: ['scope:likes', 'scope:shared'] },
  { sourceTag: 'scope:feed', onlyDependOnLibsWithTags: ['scope:feed', 'scope:shared'] },
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:cli', 'scope:shared'] },
];

/** The options of @nx/enforce-module-boundaries; `tests` adds type:testing to every project type. */
function boundaries(tests) {
  const testing = tests ? ['type:testing'] : [];
  return {
    enforceBuildableLibDependency: false,
    allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:runtime', ...testing] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:runtime', 'type:testing'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...(tests ? ['type:runtime'] : []), ...testing] },
      { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:lib', 'type:runtime', ...testing] },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:runtime', 'type:testing'] },
      ...SCOPES,
    ],
  };
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/*.generated.ts'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(false)],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(true)] },
  },
  {
    files: ['libs/sidecar/src/**/*.ts', 'libs/state/src/**/*.ts'],
    ignores: ['**/nest/**', '**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*'], message: 'The core is framework-free: only src/lib/nest/ may import @nestjs/*.' }] },
      ],
    },
  },
];
