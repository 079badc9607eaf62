/**
 * The domains' `cli/` parts, found by the folders app/domains.ts lists
 * (docs/adr/0087-domain-layers-and-clis-from-the-list.md): a domain's part is
 * `<folder>/cli/<folder>-cli.ts` when it has one, and no list of them is kept by hand.
 * This file is what runs from source (tsx, tsc's dist/src-main/): it imports each part by a path it
 * computes. A bundler cannot follow such an import, so the CLI bundle replaces this module with one that
 * imports the same files by name, generated from the same list (scripts/domain-cli-modules.ts, in
 * scripts/vite-cli.config.ts); test/unit/cli/command-modules.test.ts holds both to the folders.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { domains } from '../app/domains.js';

/** The part's file, as `<folder>/cli/<folder>-cli` under src-main/ (no extension). */
export const domainCliPath = (folder: string): string => `${folder}/cli/${folder}-cli`;

const SRC = new URL('../', import.meta.url);

/**
 * Each domain's `cli/` module, in the list's order, for the domains that have one.
 * @param folders the domains' folders (app/domains.ts's; a test gives a toy's)
 * @param src the folder they are in (src-main/)
 */
export async function domainCliModules(
  folders: readonly string[] = domains.map((d) => d.folder),
  src: URL = SRC,
): Promise<readonly Readonly<Record<string, unknown>>[]> {
  const at = (folder: string, ext: string) => new URL(`${domainCliPath(folder)}${ext}`, src);
  // .ts under tsx, .js in tsc's output: the part exists as one of them or not at all.
  const withPart = folders.filter((f) => ['.ts', '.js'].some((ext) => existsSync(fileURLToPath(at(f, ext)))));
  return Promise.all(withPart.map(async (f) => (await import(at(f, '.js').href)) as Record<string, unknown>));
}
