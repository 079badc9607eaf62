/**
 * The OPEN arguments of a `terminal` stream (the frames are in terminal-frames.ts, which stays free of
 * the schema library so the CLI's `term` loads quickly).
 */
import { z } from 'zod';
import {
  MAX_COMMAND_ARGS,
  MAX_TERMINAL_DIMENSION,
  MAX_TERMINAL_OFFSET,
  SESSION_ID,
  TERMINAL_PROTOCOL_VERSION,
  TERMINAL_TYPE_NAME,
} from './terminal-frames.js';

const dimension = z.number().int().min(1).max(MAX_TERMINAL_DIMENSION);

/**
 * OPEN arguments of a `terminal` stream: a new session (optionally running `command` instead of the
 * shell, with `term` the viewer's terminal type, and `echo: false` / `opost: false` for a viewer whose
 * input / output is a pipe: pty-session.ts `withPtyModes`; `pty: false`: no terminal at all, the
 * program runs on pipes, pipe-session.ts), or a resume of session `resume` from
 * output byte `offset` (what the client has received).
 */
export const terminalOpenArgs = z.union([
  z
    .object({
      v: z.literal(TERMINAL_PROTOCOL_VERSION),
      command: z.array(z.string().max(8192)).min(1).max(MAX_COMMAND_ARGS).optional(),
      cols: dimension,
      rows: dimension,
      term: z.string().regex(TERMINAL_TYPE_NAME, 'a terminal type is a terminfo name').optional(),
      echo: z.boolean().optional(),
      opost: z.boolean().optional(),
      pty: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      v: z.literal(TERMINAL_PROTOCOL_VERSION),
      resume: z.string().regex(SESSION_ID),
      offset: z.number().int().min(0).max(MAX_TERMINAL_OFFSET),
      cols: dimension,
      rows: dimension,
    })
    .strict(),
]);
export type TerminalOpenArgs = z.infer<typeof terminalOpenArgs>;
