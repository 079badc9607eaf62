#!/usr/bin/env node
// The type check and ESLint over the whole tree, from one TypeScript program per tsconfig (ADR 0109).
// Run apart (`tsc -p tsconfig.json`, `tsc -p tsconfig.web.json`, `eslint .`), each built its own
// programs of the same files with the same options, and ESLint's project service built four (one per
// tsconfig.json it found, three of them the web settings over the same files) plus a default project;
// building and checking the programs is most of what either costs. Here each program is built once, the
// type check asks it for every diagnostic, as tsc does, and ESLint's type-aware rules then read the
// types that check already worked out (`parserOptions.programs`, in place of the project service).
// Every rule of eslint.config.js runs over every file `eslint .` lints; a file in no program fails.
//
//   node scripts/lint-and-typecheck.mjs [--lint] [--typecheck]   (neither: both)
import { ESLint } from 'eslint';
import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import { CONFIGS, programOf } from './static-programs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
if (args.some((a) => a !== '--lint' && a !== '--typecheck')) {
  console.error('usage: node scripts/lint-and-typecheck.mjs [--lint] [--typecheck]');
  process.exit(2);
}
const lint = args.length === 0 || args.includes('--lint');
const typecheck = args.length === 0 || args.includes('--typecheck');
/** @type {ts.FormatDiagnosticsHost} */
const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};

process.chdir(root);
const t0 = performance.now();
const programs = CONFIGS.map((config) => programOf(root, config));
let failed = false;

if (typecheck) {
  for (const [i, program] of programs.entries()) {
    const diagnostics = ts.getPreEmitDiagnostics(program);
    if (diagnostics.length === 0) continue;
    failed = true;
    const pretty = process.stdout.isTTY;
    process.stdout.write(
      pretty
        ? ts.formatDiagnosticsWithColorAndContext(diagnostics, host)
        : ts.formatDiagnostics(diagnostics, host),
    );
    console.log(`typecheck: ${diagnostics.length} error(s) in ${CONFIGS[i]}'s program`);
  }
  console.log(`typecheck: ${failed ? 'failed' : 'passed'} (${seconds()} s)`);
}

if (lint) {
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs } } },
  });
  const results = await eslint.lintFiles(['.']);
  const formatter = await eslint.loadFormatter('stylish');
  const text = await formatter.format(results);
  if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const errors = results.reduce((n, r) => n + r.errorCount, 0);
  if (errors > 0) failed = true;
  console.log(`eslint: ${results.length} files, ${errors} error(s) (${seconds()} s)`);
}
process.exitCode = failed ? 1 : 0;

function seconds() {
  return ((performance.now() - t0) / 1000).toFixed(0);
}
