/**
 * Updates for a fleet (docs/desktop-app.md §Turning updates off for a fleet): an administrator decides
 * for every user of a machine with a policy file that users cannot write, or for one session with
 * `CLAWBRIDGE_UPDATES`. What it sets wins over Settings → Updates, which then says who decided. The
 * policy is read once at start; it is checked like every other input (zod), and a policy that does
 * not read as one turns updates off rather than being ignored: an administrator who meant "off" and
 * made a typo should not get updates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeZodError } from '../core/zod-error.js';
import { errorMessage } from '../core/errors.js';
import { feedUrlProblem, UPDATE_CHANNELS, UPDATE_MODES, type UpdateChoice } from './update-policy.js';

/** Longest policy file read, in bytes (4 KiB: it holds three short fields). */
export const MAX_POLICY_BYTES = 4096;

/** The environment variable that sets the mode for one session: `off`, `notify` or `automatic`. */
export const UPDATES_ENV = 'CLAWBRIDGE_UPDATES';

const feedUrl = z
  .string()
  .max(2048)
  // Plain HTTP would let anyone on the path answer for the feed (loopback aside, for tests).
  .refine((u) => feedUrlProblem(u) === null, 'feedUrl must be an https:// URL');

export const fleetPolicy = z
  .object({
    mode: z.enum(UPDATE_MODES).optional(),
    channel: z.enum(UPDATE_CHANNELS).optional(),
    /** A generic feed (a folder with latest*.yml, the installers and blockmaps) instead of the project's releases. */
    feedUrl: feedUrl.optional(),
  })
  .strict();

export interface FleetDecision {
  mode?: UpdateChoice['mode'];
  channel?: UpdateChoice['channel'];
  feedUrl?: string;
  /** Who decided, for Settings: the file's path or the variable's name. */
  source: string;
}

/** The machine-wide policy file's path on each platform (a folder only administrators may write). */
export function policyPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Clawbridge', 'updates.json');
  if (platform === 'darwin') return '/Library/Application Support/Clawbridge/updates.json';
  return '/etc/clawbridge/updates.json';
}

/** Reads the policy: the environment variable first, then the file; null when neither says anything. */
export function readFleetPolicy(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): FleetDecision | null {
  const fromEnv = env[UPDATES_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const mode = z.enum(UPDATE_MODES).safeParse(fromEnv.trim());
    if (mode.success) return { mode: mode.data, source: UPDATES_ENV };
    log(`${UPDATES_ENV}='${fromEnv.slice(0, 40)}' is not off, notify or automatic: updates are off`);
    return { mode: 'off', source: UPDATES_ENV };
  }
  const path = policyPath(platform, env);
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    log(`the update policy ${path} cannot be read (${errorMessage(err)}): updates are off`);
    return { mode: 'off', source: path };
  }
  if (text.length > MAX_POLICY_BYTES) {
    log(`the update policy ${path} is larger than ${MAX_POLICY_BYTES} bytes: updates are off`);
    return { mode: 'off', source: path };
  }
  let parsed: z.infer<typeof fleetPolicy>;
  try {
    const checked = fleetPolicy.safeParse(JSON.parse(text));
    if (!checked.success) {
      log(`the update policy ${path} is not valid (${describeZodError(checked.error)}): updates are off`);
      return { mode: 'off', source: path };
    }
    parsed = checked.data;
  } catch (err) {
    log(`the update policy ${path} is not JSON (${errorMessage(err)}): updates are off`);
    return { mode: 'off', source: path };
  }
  return { ...parsed, source: path };
}
