/**
 * The permission words the window's features declare (src-renderer/features/<feature>/*-permissions.ts),
 * gathered as features/permission-words.ts gathers them from the registered list. Found by file name:
 * the list itself (features/index.ts) imports every view, which a Node test cannot load.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importable } from '../../helpers/transpiled.js';
import { permissionWords, type PermissionWord } from '../../../src-renderer/features/permission-words.js';

const FEATURES = fileURLToPath(new URL('../../../src-renderer/features/', import.meta.url));

export async function declaredPermissionWords(): Promise<PermissionWord[]> {
  const declared: { permissions: readonly PermissionWord[] }[] = [];
  for (const folder of readdirSync(FEATURES, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const file of readdirSync(`${FEATURES}${folder.name}`).filter((f) =>
      f.endsWith('-permissions.ts'),
    )) {
      const module = (await import(importable(`${FEATURES}${folder.name}/${file}`))) as Record<
        string,
        readonly PermissionWord[]
      >;
      for (const permissions of Object.values(module)) declared.push({ permissions });
    }
  }
  return permissionWords(declared);
}
