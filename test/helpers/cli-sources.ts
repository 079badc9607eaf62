/**
 * The CLI's source files: src-main/cli/ and each domain's cli/ part (src-main/<domain>/cli/, ADR 0086),
 * for the tests that hold every file the CLI prints from to a rule.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src-main/', import.meta.url));

/** Each CLI source file: its name (unique across the folders) and its path. */
export function cliSources(): { file: string; path: string }[] {
  const folders = [
    join(SRC, 'cli'),
    ...readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'cli' && existsSync(join(SRC, e.name, 'cli')))
      .map((e) => join(SRC, e.name, 'cli')),
  ];
  return folders.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((file) => ({ file, path: join(dir, file) })),
  );
}
