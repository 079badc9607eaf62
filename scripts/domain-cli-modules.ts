/**
 * Rollup plugin for the CLI bundle: src-main/cli/domain-cli-modules.ts imports each domain's `cli/` part
 * by a path it computes from the list of domains, which a bundler cannot follow; here that module is
 * replaced, at build, by one that imports the same files by name, found from the same list
 * (domain-folders.mjs), so each part is in the bundle and none is named by hand
 * (docs/adr/0087-domain-layers-and-clis-from-the-list.md).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { domainFolders } from './domain-folders.mjs';

const MODULE = 'src-main/cli/domain-cli-modules.ts';

/** The domains' `cli/` files under src-main/, in the list's order (the source module's convention). */
export function domainCliFiles(root: string, folders: readonly string[] = domainFolders()): string[] {
  return folders
    .map((folder) => `${folder}/cli/${folder}-cli.ts`)
    .filter((file) => existsSync(resolve(root, 'src-main', file)));
}

/** The replacement module: the source module's exports, with its imports written out. */
export function domainCliModulesSource(root: string, folders?: readonly string[]): string {
  const files = domainCliFiles(root, folders);
  return [
    ...files.map((f, i) => `import * as part${i} from ${JSON.stringify(resolve(root, 'src-main', f))};`),
    'export const domainCliPath = (folder) => `${folder}/cli/${folder}-cli`;',
    `export async function domainCliModules() { return [${files.map((_, i) => `part${i}`).join(', ')}]; }`,
  ].join('\n');
}

export function domainCliModules(root: string): Plugin {
  const id = resolve(root, MODULE);
  return {
    name: 'domain-cli-modules',
    load(loading) {
      return loading === id ? domainCliModulesSource(root) : undefined;
    },
  };
}
