// The domains under src-main/, as app/domains.ts lists them (docs/architecture.md §Adding a domain):
// read from its text, because lint's config and the layer list cannot load TypeScript. Each domain is
// one `import { xDomain } from '../<folder>/<file>.js'` and one name in the `domains` array; what it
// builds on (`builtOn: ['forwards']`) is read from its description, that file. eslint.config.js builds
// its domain zones from this, scripts/layers.mjs the domains' layers, scripts/domain-cli-modules.ts the
// CLI bundle's list of their cli/ parts, scripts/domain-features.ts the window's list of their features
// (a description's `window: 'terminals'`, read like builtOn), and test/unit/architecture/domain-imports.test.ts checks it
// against the descriptions themselves, so no list of the domains is kept by hand anywhere else.
import { readFileSync } from 'node:fs';

const SRC = new URL('../src-main/', import.meta.url);

/**
 * @typedef {object} ListedDomain
 * @property {string} folder its folder under src-main/
 * @property {string} file its description's file in that folder, without extension
 * @property {string[]} builtOn the folders of the domains it builds on (its description's `builtOn`)
 * @property {string} [window] its feature of the window, a folder under src-renderer/features/ (its
 *   description's `window`; scripts/domain-features.ts puts it in the window's list)
 */

/**
 * The domains in the order of app/domains.ts's `domains` array.
 * @param {string} [listText] app/domains.ts's text (tests give their own)
 * @param {(path: string) => string} [read] reads a file under src-main/
 * @returns {ListedDomain[]}
 */
export function listedDomains(listText, read = (p) => readFileSync(new URL(p, SRC), 'utf8')) {
  const text = listText ?? read('app/domains.ts');
  /** @type {Map<string, {folder: string, file: string}>} */
  const imported = new Map();
  for (const m of text.matchAll(/^import \{ (\w+) \} from '\.\.\/([\w-]+)\/([\w-]+)\.js';$/gm))
    imported.set(m[1], { folder: m[2], file: m[3] });
  const list = /export const domains[^=]*=\s*\[([^\]]*)\]/.exec(text);
  if (!list) throw new Error('app/domains.ts: no `export const domains = [ … ]` found');
  const names = list[1]
    .replace(/\/\/.*$/gm, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return names.map((name) => {
    const at = imported.get(name);
    if (!at) throw new Error(`app/domains.ts lists ${name}, which it does not import from a domain's folder`);
    const description = read(`${at.folder}/${at.file}.ts`);
    const builtOn = /^\s*builtOn:\s*\[([^\]]*)\]/m.exec(description);
    const view = /^\s*window:\s*'([\w-]+)'/m.exec(description);
    return {
      ...at,
      builtOn: builtOn ? [...builtOn[1].matchAll(/'([\w-]+)'/g)].map((b) => b[1]) : [],
      ...(view ? { window: view[1] } : {}),
    };
  });
}

/** @returns {string[]} the folder of each domain, in the list's order */
export function domainFolders() {
  return listedDomains().map((d) => d.folder);
}
