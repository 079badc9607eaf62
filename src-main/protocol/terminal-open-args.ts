/**
 * The OPEN arguments of a `terminal` stream (the frames are in terminal-frames.ts, which stays free of
 * the schema library so the CLI's `term` loads quickly). The schemas are made on use, not when this
 * module loads (core/made-on-use.ts, ADR 0073): an idle agent opens no terminal.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import { MAX_TERMINAL_OFFSET, SESSION_ID, TERMINAL_PROTOCOL_VERSION } from './terminal-frames.js';
import { newTerminalFieldsWith, terminalDimensionWith } from './terminal-open-fields.js';

/** A terminal's width or height in character cells. */
export const terminalDimension = () => terminalDimensionWith(z);

/** What a viewer asks of a new session (terminal-open-fields.ts), as the OPEN below carries it. */
export const newTerminalFields = () => newTerminalFieldsWith(z);

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
