#!/usr/bin/env node
/**
 * Small rooms: fails when a source file has more than MAX_FILE_LINES lines or a function more than
 * MAX_FUNCTION_LINES lines. Generated code, specs and test folders are left out.
 *
 *   node tools/room-sizes.mjs libs/sidecar [more roots...]    check (exit 1 on a violation)
 *   node tools/room-sizes.mjs --report libs/sidecar ...       also print lines per project
 *
 * Run by each library's `rooms` target, which its `lint` target depends on (so CI enforces it).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';
import { filesUnder, isMainModule, projectRoots } from './project-roots.mjs';

export const MAX_FILE_LINES = 450;
export const MAX_FUNCTION_LINES = 80;

// test harnesses (test/, bench/) count as tests; generated code is generated
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'generated', 'test', 'bench', 'coverage', 'tmp']);

/** Source files under `root` that the rule covers. */
export function sourceFiles(root) {
  return filesUnder(root, SKIPPED_DIRS, (name) => /\.(ts|mts|mjs|js)$/.test(name) && !/\.(spec|test|d)\.[mc]?[tj]s$/.test(name) && !/\.generated\.ts$/.test(name));
}

/** The functions of `file` longer than `max` lines: `{ name, line, lines }`. */
export function longFunctions(file, text, max = MAX_FUNCTION_LINES) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) found.push({ name: functionName(node, source), line: start + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function functionName(node, source) {
  if (node.name !== undefined) return node.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent !== undefined && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(source);
  return '(anonymous)';
}

/** Checks `roots`; returns the violations and the line count per root. */
export function checkRooms(roots) {
  const violations = [];
  const totals = {};
  for (const root of roots) {
    let total = 0;
    let largest = { file: '', lines: 0 };
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      total += lines;
      if (lines > largest.lines) largest = { file, lines };
      if (lines > MAX_FILE_LINES) violations.push(`${relative(process.cwd(), file)}: ${lines} lines (at most ${MAX_FILE_LINES}); split it into rooms of one concept each`);
      for (const fn of longFunctions(file, text)) {
        violations.push(`${relative(process.cwd(), file)}:${fn.line}: function ${fn.name} is ${fn.lines} lines (at most ${MAX_FUNCTION_LINES}); split it into named steps`);
      }
    }
    totals[root] = { lines: total, largestFile: relative(process.cwd(), largest.file), largestLines: largest.lines };
  }
  return { violations, totals };
}

if (isMainModule(import.meta.url)) {
  const args = process.argv.slice(2);
  const report = args.includes('--report');
  const roots = projectRoots('room-sizes', args.filter((a) => a !== '--report'), '[--report] ');
  const { violations, totals } = checkRooms(roots);
  if (report) for (const [root, t] of Object.entries(totals)) process.stdout.write(`${root}: ${t.lines} lines; largest ${t.largestFile} (${t.largestLines})\n`);
  if (violations.length > 0) {
    process.stderr.write(`room-sizes: ${violations.length} violation(s):\n${violations.map((v) => `  ${v}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`room-sizes: ${roots.join(', ')}: every file ≤ ${MAX_FILE_LINES} lines, every function ≤ ${MAX_FUNCTION_LINES} lines\n`);
}
