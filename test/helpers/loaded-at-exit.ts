/**
 * What a CLI process loaded, told at its exit: a `--require` probe (the CLI's bundle is CommonJS, ADR
 * 0121, so ES module loader hooks see none of it) that writes one line to stderr when the process
 * exits: every file `require` loaded and Node's own modules (`process.moduleLoadList`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the probe saw. */
export interface LoadedAtExit {
  /** Absolute paths of the files `require` loaded. */
  files: string[];
  /** Node's built-in modules loaded, as `process.moduleLoadList` names them (`NativeModule fs`…). */
  builtins: string[];
}

const MARK = 'LOADED-AT-EXIT ';

const PROBE = `'use strict';
const { writeSync } = require('node:fs');
process.on('exit', () => {
  const seen = { files: Object.keys(require.cache), builtins: process.moduleLoadList };
  writeSync(2, ${JSON.stringify(MARK)} + JSON.stringify(seen) + '\\n');
});
`;

/** Writes the probe into `dir`; the Node flags that load it. */
export function exitProbe(dir: string): string[] {
  const file = join(dir, 'loaded-at-exit.cjs');
  writeFileSync(file, PROBE);
  return ['--require', file];
}

/** The probe's line in `stderr`. @throws when there is none (the process did not exit normally). */
export function loadedAtExit(stderr: string): LoadedAtExit {
  const line = stderr.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`the exit probe printed nothing: ${stderr.slice(-2000)}`);
  return JSON.parse(line.slice(MARK.length)) as LoadedAtExit;
}
