/**
 * Where a node keeps who is still owed the news of a removal (group-exits.ts): `group-exits.json` in
 * the home, so that a group's device that restarts within the week still tells a removed device
 * that it is out, instead of refusing it as a stranger (whose dial would be a pair request for its
 * owner). Written whole, durably, after each change; small (MAX_EXITS entries at most). A file that
 * cannot be read is moved aside, and the node starts owing nothing, as before the file existed.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import { replaceFileSync } from '../home/durable-file.js';
import { readKeptFile } from '../home/kept-file.js';
import { GROUP_ID } from '../protocol/group-records.js';
import { MAX_EXIT_EXCHANGES, MAX_EXITS, type GroupExitsBacking } from './group-exits.js';

export const GROUP_EXITS_FILE = 'group-exits.json';
const UNREADABLE_GROUP_EXITS_FILE = `${GROUP_EXITS_FILE}.unreadable`;

const fingerprint = () => z.string().regex(/^[0-9a-f]{64}$/);
const label = () => z.string().min(1).max(300);

const fileSchema = () =>
  z.strictObject({
    version: z.literal(1),
    exits: z
      .array(
        z.strictObject({
          fingerprint: fingerprint(),
          group: z.string().regex(GROUP_ID),
          groupName: label(),
          name: label(),
          root: fingerprint(),
          dial: z.boolean(),
          until: z.number().int().nonnegative(),
          left: z.number().int().min(0).max(MAX_EXIT_EXCHANGES),
        }),
      )
      .max(MAX_EXITS),
  });

/** The exits kept in `home`; `warn` hears of a file moved aside or one that could not be saved. */
export function groupExitsFile(home: string, warn: (line: string) => void): GroupExitsBacking {
  const path = join(home, GROUP_EXITS_FILE);
  return {
    load: () =>
      readKeptFile(
        path,
        join(home, UNREADABLE_GROUP_EXITS_FILE),
        (json) => fileSchema().parse(json).exits,
        warn,
        'without it — a removed device that comes here is refused instead of told it was removed',
      ) ?? [],
    save(exits) {
      try {
        replaceFileSync(path, `${JSON.stringify({ version: 1, exits }, null, 1)}\n`, 0o600);
      } catch (err) {
        // The news is a courtesy to a removed device: its access is gone either way.
        warn(`${path} could not be saved (${errorMessage(err)}); a restart will forget who is owed news`);
      }
    },
  };
}
