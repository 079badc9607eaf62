/**
 * Rollup plugin for the CLI's bundle (ADR 0121): writes `package.json` with `"type": "commonjs"` into
 * the bundle's folder, so Node loads its `.js` chunks with `require` although the repository's own
 * package.json says `"type": "module"`. A process that loads no ES module never starts Node's ES module
 * loader, whose code and module records an idle agent otherwise keeps for its whole life.
 */
import type { Plugin } from 'vite';

/** The folder's package.json: only what decides how Node reads the files beside it. */
export const COMMONJS_PACKAGE_JSON = `${JSON.stringify({ type: 'commonjs' })}\n`;

export function commonJsFolder(): Plugin {
  return {
    name: 'commonjs-folder',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'package.json', source: COMMONJS_PACKAGE_JSON });
    },
  };
}
