#!/usr/bin/env node
/**
 * No import cycles: follows the relative imports (and `export ... from`) between the source files
 * under each root and fails on the first cycles found, printing each as a chain of files.
 * Type-only imports count too (a cycle of types is still a knot for the reader).
 *
 *   node tools/import-cycles.mjs libs/sidecar [more roots...]
 *
 * Run by each library's `rooms` target, which its `lint` target depends on (so CI enforces it).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { filesUnder, isMainModule, projectRoots } from './project-roots.mjs';

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage', 'tmp']);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(root) {
  return filesUnder(root, SKIPPED_DIRS, (name) => /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')).map((file) => resolve(file));
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.mts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The import graph of the files under `roots`: file → files it imports. */
export function importGraph(roots) {
  const graph = new Map();
  for (const root of roots) {
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, 'utf8');
      const targets = new Set();
      for (const match of text.matchAll(IMPORT)) {
        const target = resolveImport(file, match[1] ?? match[2]);
        if (target !== undefined) targets.add(target);
      }
      graph.set(file, targets);
    }
  }
  return graph;
}

/** Every elementary cycle reachable by a depth-first walk (one per back edge). */
export function findCycles(graph) {
  const cycles = [];
  const state = new Map(); // 1 = on the stack, 2 = done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return cycles;
}

if (isMainModule(import.meta.url)) {
  const roots = projectRoots('import-cycles', process.argv.slice(2));
  const cycles = findCycles(importGraph(roots));
  if (cycles.length > 0) {
    const shown = cycles.map((cycle) => `  ${cycle.map((f) => relative(process.cwd(), f)).join(' → ')}`);
    process.stderr.write(`import-cycles: ${cycles.length} cycle(s); move what both sides need into a file of its own:\n${shown.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`import-cycles: ${roots.join(', ')}: no import cycle\n`);
}
