/**
 * The window's check of a hint (a command the agent's message tells the user to run; the contract's
 * `Hint`, src-main/core/hint.ts) where one arrives: an error body, a notice. The same bounds as the
 * agent's schema (src-main/core/hint-schema.ts; a unit test holds them together), with zod's small
 * build: the page never runs the agent's code.
 */
import * as z from 'zod/mini';
import type { Hint } from '../../src-main/core/hint.js';

export type { Hint };

const hintSchema = z.strictObject({
  argv: z.array(z.string().check(z.minLength(1), z.maxLength(4096))).check(z.minLength(1), z.maxLength(24)),
  where: z.enum(['here', 'peer']),
  flag: z.optional(z.string().check(z.maxLength(64), z.regex(/^--[a-z][a-z-]*$/))),
  at: z.optional(
    z.tuple([
      z.number().check(z.int(), z.minimum(0), z.maximum(65_535)),
      z.number().check(z.int(), z.minimum(0), z.maximum(65_535)),
    ]),
  ),
});

/** `value` as a hint when it is a valid one; otherwise undefined (a malformed hint is not shown). */
export function parseHint(value: unknown): Hint | undefined {
  const parsed = z.safeParse(hintSchema, value);
  return parsed.success ? parsed.data : undefined;
}

/** The words of a hint's command as the window shows them: `clawbridge` and its arguments. */
export function hintCommandText(hint: Hint): string {
  return ['clawbridge', ...hint.argv].join(' ');
}

/** Something to show the user: its words and, when they say to run a command, that command. */
export interface Problem {
  text: string;
  hint?: Hint;
}
