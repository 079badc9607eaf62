// The domains' folders under src-main/, as app/domains.ts lists them (docs/architecture.md §Adding a
// domain): read from its imports, one `import { xDomain } from '../<folder>/<name>-domain.js'` a
// domain, because lint's config cannot load TypeScript. eslint.config.js builds its domain zones from
// this and test/unit/architecture/domain-imports.test.ts checks it against each description's `folder`,
// so no list of the domains is kept by hand anywhere else.
import { readFileSync } from 'node:fs';

const DOMAINS_FILE = new URL('../src-main/app/domains.ts', import.meta.url);

/** @returns {string[]} the folder of each domain, in the list's order of imports */
export function domainFolders() {
  const text = readFileSync(DOMAINS_FILE, 'utf8');
  return [...text.matchAll(/^import \{ \w+ \} from '\.\.\/([\w-]+)\/[\w-]+\.js';$/gm)].map((m) => m[1]);
}
