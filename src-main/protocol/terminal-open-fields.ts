/**
 * The fields a viewer asks a new terminal session with, built with the zod it is handed: the same from
 * the CLI or window (the terminal domain's `terminal.open`, terminal/terminal-contract.ts) as on the
 * wire between agents (terminal-open-args.ts OPEN), so the two cannot drift. This module loads no zod:
 * the terminal's contract piece is read by every CLI command for its permission word.
 */
import type { z as Zod } from 'zod';
import { MAX_COMMAND_ARGS, MAX_TERMINAL_DIMENSION, TERMINAL_TYPE_NAME } from './terminal-frames.js';

/** A terminal's width or height in character cells. */
export const terminalDimensionWith = (z: typeof Zod) => z.number().int().min(1).max(MAX_TERMINAL_DIMENSION);

/**
 * `command` instead of the shell, the window size, `term` the viewer's terminal type, `echo: false` /
 * `opost: false` for a viewer whose input / output is a pipe (pty-session.ts `withPtyModes`), and
 * `pty: false` for no terminal at all (the program runs on pipes, pipe-session.ts).
 */
export const newTerminalFieldsWith = (z: typeof Zod) => ({
  command: z.array(z.string().max(8192)).min(1).max(MAX_COMMAND_ARGS).optional(),
  cols: terminalDimensionWith(z),
  rows: terminalDimensionWith(z),
  term: z.string().regex(TERMINAL_TYPE_NAME, 'a terminal type is a terminfo name').optional(),
  echo: z.boolean().optional(),
  opost: z.boolean().optional(),
  pty: z.boolean().optional(),
});
