#!/usr/bin/env bash
# one-off: writes the per-project config files (kept for reference)
set -e
proj() { # kind name tags
  kind=$1; name=$2; tags=$3; root=$kind/$name; mkdir -p $root/src
  rel=../..
  cat > $root/tsconfig.json <<J
{
  "extends": "$rel/tsconfig.base.json",
  "files": [],
  "include": [],
  "references": [{ "path": "./tsconfig.$( [ $kind = apps ] && echo app || echo lib ).json" }, { "path": "./tsconfig.spec.json" }]
}
J
  cat > $root/tsconfig.$( [ $kind = apps ] && echo app || echo lib ).json <<J
{
  "extends": "./tsconfig.json",
  "compilerOptions": {
    "outDir": "$rel/dist/$root",
    "rootDir": "$rel",
    "declaration": true,
    "types": ["node"]
  },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.spec.ts", "jest.config.ts"]
}
J
  cat > $root/tsconfig.spec.json <<J
{
  "extends": "./tsconfig.json",
  "compilerOptions": { "outDir": "$rel/dist/out-tsc", "types": ["jest", "node"], "noEmit": true },
  "include": ["jest.config.ts", "src/**/*.ts", "test/**/*.ts", "bench/**/*.ts"]
}
J
  cat > $root/jest.config.ts <<J
export default {
  displayName: '$name',
  preset: '$rel/jest.preset.js',
  rootDir: '.',
  coverageDirectory: '$rel/coverage/$root',
};
J
}
