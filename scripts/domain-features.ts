/**
 * Vite plugin for the window's builds (vite.config.ts, scripts/vite-web-node.config.ts): the domains'
 * features of the window, written out from the list of domains. A domain names its feature in its
 * description (`window: 'terminals'`, read from the file's text by domain-folders.mjs); its folder
 * under src-renderer/features/ holds `<window>-feature.ts(x)`, which exports `<window>Feature`.
 * src-renderer/features/domain-features.ts is replaced, at build, by a module that imports each by
 * name, in the list's order, so no list of them is kept by hand (docs/adr/0111-the-window-from-the-domain-list.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { listedDomains, type ListedDomain } from './domain-folders.mjs';

const MODULE = 'src-renderer/features/domain-features.ts';

/** `group-members` → `groupMembersFeature`: the name a feature's file exports it by. */
export const featureExport = (folder: string): string =>
  `${folder.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Feature`;

/** The domains of the tree at `root`, as its app/domains.ts lists them. */
export function listedDomainsAt(root: string): ListedDomain[] {
  return listedDomains(undefined, (p) => readFileSync(resolve(root, 'src-main', p), 'utf8'));
}

/**
 * Each listed domain's feature file (absolute) and export, in the list's order.
 * @throws Error when a domain names a window feature whose file is not there
 */
export function domainFeatureFiles(
  root: string,
  listed: readonly ListedDomain[] = listedDomainsAt(root),
): { file: string; name: string }[] {
  return listed.flatMap(({ folder, window }) => {
    if (!window) return [];
    const base = resolve(root, 'src-renderer/features', window, `${window}-feature`);
    const file = ['.ts', '.tsx'].map((ext) => base + ext).find((f) => existsSync(f));
    if (!file)
      throw new Error(
        `the ${folder} domain names the window feature '${window}', but src-renderer/features/${window}/${window}-feature.ts is not there: add it, or drop \`window\` from its description`,
      );
    return [{ file, name: featureExport(window) }];
  });
}

/** The module that stands for domain-features.ts: its export, with the imports written out. */
export function domainFeaturesSource(root: string, listed?: readonly ListedDomain[]): string {
  const files = domainFeatureFiles(root, listed);
  return [
    ...files.map(({ file, name }, i) => `import { ${name} as feature${i} } from ${JSON.stringify(file)};`),
    `export const DOMAIN_FEATURES = [${files.map((_, i) => `feature${i}`).join(', ')}];`,
  ].join('\n');
}

/**
 * The plugin. It finds the tree from the module it replaces (the folder that holds
 * src-renderer/features/domain-features.ts), so a copy of the tree builds its own list.
 */
export function domainFeatures(): Plugin {
  return {
    name: 'domain-features',
    load(id) {
      const path = id.replaceAll('\\', '/');
      return path.endsWith(`/${MODULE}`)
        ? domainFeaturesSource(path.slice(0, -MODULE.length - 1))
        : undefined;
    },
  };
}
