/**
 * How the end of a CLI's piped input reaches a program that runs in a terminal: as Ctrl-D, the
 * terminal's end-of-file key. After a partial line the first Ctrl-D only hands that line over, so a
 * second one follows; and a shell that is still starting drops input that comes before its first
 * prompt, so one more goes with the next output. `clawbridge term` does it when it reads the pipe,
 * the agent when it reads the pipe itself (ADR 0038). Pure.
 */

/** The terminal's end-of-file key (VEOF), Ctrl-D. */
export const EOF_CHAR = 0x04;

/** The keys that end the input, given the last byte typed before (0x0a when nothing was). */
export function endOfInput(lastTyped: number): Buffer {
  return lastTyped === 0x0a ? Buffer.of(EOF_CHAR) : Buffer.of(EOF_CHAR, EOF_CHAR);
}
