/**
 * The schema of a hint (hint.ts), checked at every boundary that receives one: the agent's error
 * replies on each transport, the CLI reading a reply, the window's transports. Made on use, not when
 * this module loads (made-on-use.ts, ADR 0073).
 */
import { z } from 'zod';
import type { Hint } from './hint.js';
import { madeOnUse } from './made-on-use.js';

/** Bounds: a hint is one command line (a word may be a home path, up to PATH_MAX), never a page of text. */
export const HINT_MAX_ARGS = 24;
export const HINT_MAX_ARG_LENGTH = 4096;
export const HINT_MAX_FLAG_LENGTH = 64;

export const hintSchema: () => z.ZodType<Hint> = madeOnUse(() =>
  z
    .object({
      argv: z.array(z.string().min(1).max(HINT_MAX_ARG_LENGTH)).min(1).max(HINT_MAX_ARGS),
      where: z.enum(['here', 'peer']),
      flag: z
        .string()
        .regex(/^--[a-z][a-z-]*$/)
        .max(HINT_MAX_FLAG_LENGTH)
        .optional(),
      at: z
        .tuple([z.number().int().min(0).max(65_535), z.number().int().min(0).max(65_535)])
        .refine(([start, end]) => start <= end, 'start after end')
        .optional(),
    })
    .strict(),
);

/** `value` as a hint when it is a valid one; otherwise undefined (a malformed hint is dropped, not shown). */
export function parseHint(value: unknown): Hint | undefined {
  const parsed = hintSchema().safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
