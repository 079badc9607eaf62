/**
 * Reading a file a store keeps in the home (members.json, groups.json, group-invitations.json,
 * group-exits.json): none yet reads as nothing; one that is not JSON of its shape is moved aside
 * (`<name>.unreadable`, which the next save does not overwrite, so a person can still look at it) with
 * a warning that says what starting without it costs. Any other read error (EACCES, EIO) is thrown:
 * the agent must not start and then save over a file it could not read.
 */
import { readFileSync, renameSync } from 'node:fs';
import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import { describeZodError } from '../core/zod-error.js';

/**
 * `parse` of the JSON at `path`, or undefined when there is no file or it was moved to `aside` (then
 * `warn` is told, ending with `without`, e.g. `without it — invite again`).
 * @throws the file system's error for a file that is there but cannot be read
 */
export function readKeptFile<T>(
  path: string,
  aside: string,
  parse: (json: unknown) => T,
  warn: (line: string) => void,
  without: string,
): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return parse(JSON.parse(text));
  } catch (err) {
    renameSync(path, aside);
    const problem = err instanceof z.ZodError ? describeZodError(err) : errorMessage(err);
    warn(`${path} is not readable (${problem}); moved to ${aside} and starting ${without}`);
    return undefined;
  }
}
