/**
 * A command that reads the home's files itself (with no agent running, or none needed) and finds no
 * home there says so, rather than an empty listing (`no events`) or the disk's own error (`ENOENT …
 * statfs`): a mistyped --home is the likely cause, and an empty answer would hide it.
 */
import { existsSync } from 'node:fs';
import { ClawError } from '../core/errors.js';

/**
 * @param nothing what there is therefore to show, in the command's words (`no files to show`)
 * @throws ClawError('BAD_ARGUMENT') when `home` does not exist
 */
export function requireHome(home: string, nothing: string): void {
  if (!existsSync(home)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `no clawbridge home at ${home} (no such directory), so ${nothing}: check --home`,
    );
  }
}
