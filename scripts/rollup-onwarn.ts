/**
 * Rollup's `onwarn` for every build of ours: zod's sources carry `@__PURE__` comments where Rollup
 * cannot use them; it drops them, harmlessly, but printed a warning on every `npm install` (through
 * `prepare`) that a new user could only read as something being wrong. Only that warning, and only for
 * code under node_modules, is dropped; every other warning is printed.
 */
import type { Rollup } from 'vite';

type RollupLog = Rollup.RollupLog;

export function dropDependencyAnnotationWarnings(
  warning: RollupLog,
  warn: (warning: RollupLog) => void,
): void {
  if (warning.code === 'INVALID_ANNOTATION' && /[\\/]node_modules[\\/]/.test(warning.id ?? '')) return;
  warn(warning);
}
