/**
 * Where a node keeps its group invitations between runs (`group-invitations.json` in the home): the
 * open ones, so that a code read aloud before a restart still works after it, and the last ones that
 * ended, so that a used code stays used. The codes are the PAKE's secret: the file is the owner's
 * alone (0600), as groups.json and the identity key are, written durably (home/durable-file.ts: temp
 * file, fsync, rename) before a change counts, by one writer (invitations.ts). Checked when read: an
 * entry that does not parse is dropped with a warning; a file that is not JSON of this shape is moved
 * aside (`group-invitations.json.unreadable`, never overwritten by the next save) with a warning, and
 * the node starts with no invitation.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import { replaceFileSync } from '../home/durable-file.js';
import { readKeptFile } from '../home/kept-file.js';
import { GROUP_ID } from '../protocol/group-records.js';
import { parsePairCode } from '../protocol/pair-code.js';

/** The file's name in the home. */
export const INVITATIONS_FILE = 'group-invitations.json';
/** Where an unreadable file is moved, so the next save does not overwrite what it held. */
export const UNREADABLE_INVITATIONS_FILE = `${INVITATIONS_FILE}.unreadable`;
/** Most invitations the file holds: pairing's open codes at most, and the ended ones the list keeps. */
export const MAX_KEPT_INVITATIONS = 128;

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** One invitation as kept: open while its code may be met, then how it ended. */
export interface KeptInvitation {
  id: string;
  group: string;
  groupName: string;
  code: string;
  link: string;
  /** When its code stops being met, in ms since the epoch. */
  expiresAt: number;
  state: 'open' | 'used' | 'cancelled' | 'expired';
  /** The device that met the code, as the PAKE confirmed it. */
  by?: { name: string; fingerprint: string };
  endedAt?: number;
  /** Why a met code did not make a member. */
  problem?: string;
}

/** Where the invitations are kept between runs: a file in the home, or memory (tests). */
export interface InvitationBacking {
  load(): KeptInvitation[];
  /** Saves durably. @throws the file system's error; nothing counts then. */
  save(invitations: readonly KeptInvitation[]): void;
}

const entrySchema = () =>
  z
    .object({
      id: z.string().regex(/^[0-9]{1,12}$/),
      group: z.string().regex(GROUP_ID),
      groupName: z.string().max(200),
      code: z.string().max(40),
      link: z.string().max(2048),
      expiresAt: z.number().int().nonnegative(),
      state: z.enum(['open', 'used', 'cancelled', 'expired']),
      by: z.object({ name: z.string().max(200), fingerprint: z.string().regex(FINGERPRINT) }).optional(),
      endedAt: z.number().int().nonnegative().optional(),
      problem: z.string().max(1000).optional(),
    })
    .strict();

const fileSchema = () =>
  z.object({ version: z.literal(1), invitations: z.array(z.unknown()).max(MAX_KEPT_INVITATIONS) });

/** The file in `home`. `warn` says what was dropped or set aside when it is read. */
export function invitationFile(home: string, warn: (line: string) => void): InvitationBacking {
  const path = join(home, INVITATIONS_FILE);
  return {
    load() {
      const raw =
        readKeptFile(
          path,
          join(home, UNREADABLE_INVITATIONS_FILE),
          (json) => fileSchema().parse(json).invitations,
          warn,
          'with no group invitation — invite again',
        ) ?? [];
      const out: KeptInvitation[] = [];
      for (const [i, entry] of raw.entries()) {
        const parsed = entrySchema().safeParse(entry);
        const code = parsed.success ? codeProblem(parsed.data.code) : undefined;
        if (!parsed.success || code) {
          warn(
            `${path}: invitation ${i + 1} dropped: ${code ?? parsed.error?.issues[0]?.message ?? 'malformed'}`,
          );
          continue;
        }
        const { by, endedAt, problem, ...rest } = parsed.data;
        out.push({
          ...rest,
          ...(by ? { by } : {}),
          ...(endedAt !== undefined ? { endedAt } : {}),
          ...(problem !== undefined ? { problem } : {}),
        });
      }
      return out;
    },
    save(invitations) {
      const data = { version: 1, invitations: invitations.slice(0, MAX_KEPT_INVITATIONS) };
      replaceFileSync(path, `${JSON.stringify(data, null, 1)}\n`, 0o600);
    },
  };
}

/** Keeps nothing between runs unless handed the same one again (tests). */
export function inMemoryInvitations(): InvitationBacking & { saved(): KeptInvitation[] } {
  let saved: KeptInvitation[] = [];
  return {
    load: () => saved.map((i) => ({ ...i })),
    save: (list) => {
      saved = list.map((i) => ({ ...i }));
    },
    saved: () => saved,
  };
}

function codeProblem(code: string): string | undefined {
  try {
    parsePairCode(code);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}
