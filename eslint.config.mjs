import nx from '@nx/eslint-plugin';

/**
 * Module boundaries (enforced, not advisory):
 * - type:app may use libs; type:lib may use only libs; nothing imports an app.
 * - each service (scope:gateway|upload|likes|feed) may use only its own scope and scope:shared,
 *   so services never import each other.
 * - type:testing (harnesses) is for specs, benches and e2e projects only.
 */
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/*.generated.ts'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
            { sourceTag: 'scope:upload', onlyDependOnLibsWithTags: ['scope:upload', 'scope:shared'] },
            { sourceTag: 'scope:likes', onlyDependOnLibsWithTags: ['scope:likes', 'scope:shared'] },
            { sourceTag: 'scope:feed', onlyDependOnLibsWithTags: ['scope:feed', 'scope:shared'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:cli', 'scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
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
