// The TypeScript programs the type check and ESLint share (scripts/lint-and-typecheck.mjs, ADR 0109):
// one per tsconfig, built as `tsc -p` builds it.
import ts from 'typescript';
import { join } from 'node:path';

/**
 * The tsconfigs, in the order a file is looked for in their programs: a file in both (src-web/node/,
 * the API contracts) is linted with the Node settings, as ESLint's project service did (the nearest
 * tsconfig.json to them is the root one). The tsconfig.json files in src-renderer/, src-web/window/ and
 * test/e2e/toy-feature/ only extend tsconfig.web.json for editors, over files it includes.
 */
export const CONFIGS = ['tsconfig.json', 'tsconfig.web.json'];

/** @param {string} root @param {string} config @returns {ts.ParsedCommandLine} what `tsc -p` reads */
export function parseConfig(root, config) {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, config), undefined, {
    ...ts.sys,
    getCurrentDirectory: () => root,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(`${config}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    },
  });
  if (!parsed) throw new Error(`${config}: could not be read`);
  return parsed;
}

/** @param {string} root @param {string} config @returns {ts.Program} the program `tsc -p config` builds */
export function programOf(root, config) {
  const parsed = parseConfig(root, config);
  // Parent pointers set, which typescript-eslint needs (its own createProgram does the same).
  const host = ts.createCompilerHost(parsed.options, true);
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: parsed.errors,
    host,
  });
}
