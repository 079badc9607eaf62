/**
 * ESLint as the layer tests need it: the project's config, running only the import rule that keeps
 * the layers (`import-x/no-restricted-paths`). The config's type-aware rules, and the TypeScript
 * program they build for each file linted, play no part in it: without them a probe lints in a
 * fraction of the time, so the architecture tests cost the suite seconds of CPU, not half a minute.
 */
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';

export const LAYER_RULE = 'import-x/no-restricted-paths';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** An ESLint for the project that runs the layer rule alone. */
export function layerLint(): ESLint {
  return new ESLint({
    cwd: root,
    ruleFilter: ({ ruleId }) => ruleId === LAYER_RULE,
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false, project: null } },
    } satisfies Linter.Config,
  });
}

/** The layer rule's messages for `text` linted as if it were `file` (relative to the project). */
export async function layerMessages(file: string, text: string): Promise<Linter.LintMessage[]> {
  const [result] = await layerLint().lintText(text, { filePath: `${root}/${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === LAYER_RULE);
}
