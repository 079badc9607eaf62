/**
 * Where pending requests are kept between runs (ADR 0080): `pending.json` in the home, apart from
 * config.json. A request is what a node that is not a peer asked, not what the owner decided, and
 * anyone who knows this node's fingerprint can make one: so a knock never writes the owner's file.
 *
 * Best effort by design: each change replaces the file without fsync, and a failed write is said once
 * and the agent goes on with the requests in memory (the owner can still decide on them in this run).
 * A request lost to a crash or a full disk costs nothing: its node asks again (at least every 30 s
 * while it waits), and a code-verified one does not outlive the run it was made in anyway. What must
 * be durable is the owner's answer, and that is a config.json write (a new peer, a blocked node).
 *
 * Bounded as the list is (pending.ts: the rooms per kind and source, the expiry); the file is read
 * back through the same schema as each request, a request that does not parse is dropped, and a
 * file that is not JSON of this shape reads as none, with a warning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import { describeZodError } from '../core/zod-error.js';
import { replaceFileSync } from '../home/durable-file.js';
import { MAX_PENDING_CODE, MAX_PENDING_FINGERPRINT } from './pending.js';
import { settingsSchemas, type PendingRecord } from './settings.js';
import { NODE_VOCABULARY } from '../api/vocabulary.js';

/** The file's name in the home. */
export const PENDING_FILE = 'pending.json';

/** Most requests the file can hold: both rooms full (pending.ts). More is not a file this agent wrote. */
export const MAX_PENDING_IN_FILE = MAX_PENDING_CODE + MAX_PENDING_FINGERPRINT;

// Made when the file is read (once, on first use), not when this module loads (ADR 0073).
const fileSchema = () =>
  z.object({
    version: z.literal(1),
    requests: z.array(z.unknown()).max(MAX_PENDING_IN_FILE),
  });

/** Where pending requests are kept between runs: a file in the home, or memory (tests). */
export interface PendingBacking {
  load(): PendingRecord[];
  /** Saves what it can: never throws (best effort, see above). */
  save(requests: readonly PendingRecord[]): void;
}

/** The file in `home`; `warn` says what was dropped when it is read, and a write that failed. */
export function pendingFile(home: string, warn: (line: string) => void): PendingBacking {
  const path = join(home, PENDING_FILE);
  // A full disk fails every knock's write: said once, until a write works again.
  let failing = false;
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          warn(`cannot read ${path} (${errorMessage(err)}); starting without pending requests`);
        }
        return [];
      }
      let entries: unknown[];
      try {
        entries = fileSchema().parse(JSON.parse(text)).requests;
      } catch (err) {
        const why = err instanceof z.ZodError ? describeZodError(err) : errorMessage(err);
        warn(`${path} is not readable (${why}); starting without pending requests — their nodes ask again`);
        return [];
      }
      // A request's fields are the node's alone: no domain's word or section is in them.
      const schema = settingsSchemas(NODE_VOCABULARY).pendingSchema;
      const kept: PendingRecord[] = [];
      for (const [i, entry] of entries.entries()) {
        const parsed = schema.safeParse(entry);
        if (!parsed.success) {
          warn(`${path}: request ${i + 1} dropped: ${parsed.error.issues[0]?.message ?? 'not a request'}`);
          continue;
        }
        if (kept.some((p) => p.id === parsed.data.id || p.fingerprint === parsed.data.fingerprint)) continue;
        kept.push(parsed.data);
      }
      return kept;
    },
    save(requests) {
      try {
        replaceFileSync(path, `${JSON.stringify({ version: 1, requests }, null, 1)}\n`, 0o600, {
          sync: false,
        });
        failing = false;
      } catch (err) {
        if (failing) return;
        failing = true;
        warn(
          `could not save ${path}: ${errorMessage(err)} (pending requests are kept in memory; a restart loses them and their nodes ask again)`,
        );
      }
    },
  };
}

/** Keeps the requests in memory only (tests, and parts that never record one). */
export function inMemoryPending(initial: PendingRecord[] = []): PendingBacking & {
  saved: () => readonly PendingRecord[];
} {
  let saved: readonly PendingRecord[] = initial;
  return {
    load: () => [...saved],
    save: (requests) => {
      saved = [...requests];
    },
    saved: () => saved,
  };
}
