/**
 * The OPEN arguments of a `terminal` stream (the frames are in terminal-frames.ts, which stays free of
 * the schema library so the CLI's `term` loads quickly). The schemas are made on use, not when this
 * module loads (core/made-on-use.ts, ADR 0073): an idle agent opens no terminal.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import {
  MAX_COMMAND_ARGS,
  MAX_TERMINAL_DIMENSION,
  MAX_TERMINAL_OFFSET,
  SESSION_ID,
  TERMINAL_PROTOCOL_VERSION,
  TERMINAL_TYPE_NAME,
} from './terminal-frames.js';

/** A terminal's width or height in character cells. */
export const terminalDimension = () => z.number().int().min(1).max(MAX_TERMINAL_DIMENSION);

/**
 * What a viewer asks of a new session, the same from the CLI or window (stream-upgrade.ts
 * `terminal.open`) as on the wire between agents (OPEN below), so the two cannot drift: `command`
 * instead of the shell, the window size, `term` the viewer's terminal type, `echo: false` /
 * `opost: false` for a viewer whose input / output is a pipe (pty-session.ts `withPtyModes`), and
 * `pty: false` for no terminal at all (the program runs on pipes, pipe-session.ts).
 */
export const newTerminalFields = () => ({
  command: z.array(z.string().max(8192)).min(1).max(MAX_COMMAND_ARGS).optional(),
  cols: terminalDimension(),
  rows: terminalDimension(),
  term: z.string().regex(TERMINAL_TYPE_NAME, 'a terminal type is a terminfo name').optional(),
  echo: z.boolean().optional(),
  opost: z.boolean().optional(),
  pty: z.boolean().optional(),
});

/**
 * OPEN arguments of a `terminal` stream: a new session (newTerminalFields), or a resume of session
 * `resume` from output byte `offset` (what the client has received); `input: true` (only to a peer that
 * lists FEATURE_INPUT_RESUME) asks the SESSION frame to say how much input the session has taken.
 */
export const terminalOpenArgs = madeOnUse(() =>
  z.union([
    z.object({ v: z.literal(TERMINAL_PROTOCOL_VERSION), ...newTerminalFields() }).strict(),
    z
      .object({
        v: z.literal(TERMINAL_PROTOCOL_VERSION),
        resume: z.string().regex(SESSION_ID),
        offset: z.number().int().min(0).max(MAX_TERMINAL_OFFSET),
        cols: terminalDimension(),
        rows: terminalDimension(),
        input: z.literal(true).optional(),
      })
      .strict(),
  ]),
);
export type TerminalOpenArgs = z.infer<ReturnType<typeof terminalOpenArgs>>;
