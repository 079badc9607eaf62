/**
 * `clawbridge term`'s escape sequences, as ssh's: `~` typed first on a line is held, and the next key
 * decides. `~.` leaves the session from this side (the way out when the peer stopped answering: the
 * other keys go to the remote program, and input waits while the session is being resumed), `~~`
 * sends one `~`, `~?` lists them; `~` and any other key are sent as typed. Only with a TTY (the user
 * types) and unless `--no-escape`. Pure.
 */

/** The escape character (ssh's default). */
export const ESCAPE_CHAR = 0x7e; // ~

const DOT = 0x2e;
const QUESTION = 0x3f;
const CR = 0x0d;
const LF = 0x0a;

/** What the escape sequences do, as `~?` shows it (raw mode: CR LF line ends). */
export const ESCAPE_HELP =
  'clawbridge escape sequences (after Enter):\r\n' +
  '  ~.  leave the session (it hangs up)\r\n' +
  '  ~~  send ~\r\n' +
  '  ~?  this list\r\n';

export type EscapeAction = 'disconnect' | 'help';

export interface Filtered {
  /** Bytes for the remote program, in order. */
  send: Buffer;
  /** What the user asked of this side, in order; `disconnect` ends the list (and what followed it). */
  actions: EscapeAction[];
}

export class EscapeFilter {
  /** True at the start of a line: after Enter, and before anything was typed. */
  private atLineStart = true;
  /** A `~` at the start of a line, held until the next key says what it is. */
  private held = false;

  push(chunk: Uint8Array): Filtered {
    if (!this.held && !chunk.includes(ESCAPE_CHAR)) {
      // Most input: nothing to look at, passed on as it is.
      if (chunk.length > 0)
        this.atLineStart = chunk[chunk.length - 1] === CR || chunk[chunk.length - 1] === LF;
      return { send: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length), actions: [] };
    }
    const out: number[] = [];
    const actions: EscapeAction[] = [];
    for (const byte of chunk) {
      if (this.held) {
        this.held = false;
        if (byte === DOT) {
          actions.push('disconnect');
          return { send: Buffer.from(out), actions };
        }
        if (byte === QUESTION) {
          actions.push('help');
          this.atLineStart = true;
          continue;
        }
        // `~~` is one `~`; `~x` is both, as typed.
        out.push(ESCAPE_CHAR);
        if (byte === ESCAPE_CHAR) {
          this.atLineStart = false;
          continue;
        }
      } else if (this.atLineStart && byte === ESCAPE_CHAR) {
        this.held = true;
        continue;
      }
      out.push(byte);
      this.atLineStart = byte === CR || byte === LF;
    }
    return { send: Buffer.from(out), actions };
  }
}
