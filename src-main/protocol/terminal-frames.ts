/**
 * Wire format of the terminal service (architecture.md §Services, docs/protocol.md "Terminal service"): the frames that
 * travel on a `terminal` mux stream between two agents, on a CLI's upgraded control socket and between
 * the window and its agent. All use one layout: u32 big-endian length of what follows, u8 type, body.
 * Version, type codes, limits, encode/decode — nothing else (architecture.md §Rules the code keeps).
 *
 * The window's page imports this module too (ADR 0015), so it is plain TypeScript over Uint8Array,
 * DataView and TextEncoder: no Buffer, no node: import, no DOM. eslint.config.js forbids Node's imports
 * and globals here, so a Node-only call fails the lint, not the page.
 */
import { ClawError } from '../core/errors.js';

/** Bytes of the length header in front of every frame. */
export const TERMINAL_HEADER_BYTES = 4;

/** Service name of terminal streams on the mux. */
export const TERMINAL_SERVICE = 'terminal';

/** Version of the OPEN arguments; a peer refuses other versions with a clear reason. */
export const TERMINAL_PROTOCOL_VERSION = 1;

/**
 * A terminal type (TERM) a viewer may ask for in OPEN: a terminfo name, 1 to 64 characters, nothing that
 * could name a path or reach a shell (`xterm-256color`, `screen.xterm-256color`, `vt100`, `linux`).
 */
export const TERMINAL_TYPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/**
 * The word in a hello's `features` that says a node takes `term` in a terminal's OPEN arguments (older
 * nodes refuse unknown arguments, so it is sent only to a peer that lists this).
 */
export const FEATURE_TERMINAL_TYPE = 'term';

/** The word in a hello's `features` that says a node takes `echo` and `opost` in a terminal's OPEN. */
export const FEATURE_PTY_MODES = 'pty-modes';

/**
 * The word in a hello's `features` that says a node takes `pty: false` in a terminal's OPEN: the program
 * runs on pipes instead of a terminal, its stderr comes back as STDERR frames, and EOF ends its input.
 */
export const FEATURE_PIPES = 'pipes';

/**
 * The word in a hello's `features` that says a node counts a session's input over all its streams: a
 * resume may ask `input: true` in its OPEN, and its SESSION frame then says how many input bytes the
 * session has taken, so the client sends again exactly the keys a lost stream did not deliver.
 */
export const FEATURE_INPUT_RESUME = 'input-resume';

/** Largest payload of one DATA frame, in bytes (64 KiB, one mux DATA payload). */
export const MAX_TERMINAL_DATA = 64 * 1024;

/** Largest frame after the length header, in bytes: the type byte plus the largest DATA payload. */
export const MAX_TERMINAL_FRAME = 1 + MAX_TERMINAL_DATA;

/** Longest STATUS detail or ERROR message, in UTF-8 bytes: one readable line, never a dump. */
export const MAX_TERMINAL_TEXT = 1024;

/** Largest terminal width or height, in character cells: far beyond any screen, small enough for u16. */
export const MAX_TERMINAL_DIMENSION = 4096;

/** Largest byte offset on the wire (ACK, SESSION): 2^53 − 1, so it stays exact as a JS number. */
export const MAX_TERMINAL_OFFSET = Number.MAX_SAFE_INTEGER;

/** Bytes of a session ID once written as lowercase hex (128 random bits). */
export const SESSION_ID_HEX_LENGTH = 32;

/** Type codes on the wire. */
export const TerminalFrameType = {
  Data: 1,
  Resize: 2,
  Exit: 3,
  Ack: 4,
  Session: 5,
  Status: 6,
  Error: 7,
  Eof: 8,
  Stderr: 9,
  DirectStart: 10,
  DirectReady: 11,
  DirectWritten: 12,
  DirectLeft: 13,
  DirectFailed: 14,
} as const;

/** How a remote process ended: an exit code, or the name of the signal that killed it. */
export type ExitStatus = { code: number } | { signal: string };

/** Connection state the requesting agent reports to its CLI while it keeps a session across outages. */
export type TerminalState = 'reconnecting' | 'resumed';

export type TerminalFrame =
  /** Output (server → client → CLI) or input (CLI → client → server). */
  | { type: 'data'; data: Uint8Array }
  /** New window size (CLI → client → server). */
  | { type: 'resize'; cols: number; rows: number }
  /** The process ended; nothing follows (server → client → CLI). */
  | { type: 'exit'; status: ExitStatus }
  /** The client has passed on every output byte before `offset` (client → server). */
  | { type: 'ack'; offset: number }
  /**
   * Resume info, first frame on every stream: the session and the offset of the next DATA byte; on a
   * resume that asked for it (`input: true` in the OPEN), also the input bytes the session has taken
   * over all its streams so far.
   */
  | { type: 'session'; id: string; offset: number; input?: number }
  /** The session is reconnecting or has resumed, with a one-line detail (agent → CLI). */
  | { type: 'status'; state: TerminalState; detail: string }
  /** The session failed for good; the line says why (agent → CLI). */
  | { type: 'error'; message: string }
  /** No more input: the program's stdin is closed (CLI → client → server; sessions on pipes). */
  | { type: 'eof' }
  /**
   * What the program wrote to stderr (server → client → CLI; sessions on pipes). Its bytes count in
   * the output offsets (ACK, SESSION, resume) like DATA's, in the order they were sent.
   */
  | { type: 'stderr'; data: Uint8Array }
  /*
   * Direct terminal I/O between the CLI and its own agent only (ADR 0037): the agent reads the keys and
   * writes the output on the CLI's terminal itself, so a keystroke crosses one process fewer.
   */
  /** The agent has the CLI's terminal open: stop reading it and answer DIRECT_READY (agent → CLI). */
  | { type: 'direct-start' }
  /** The CLI no longer reads its terminal; all it read came before this frame (CLI → agent). */
  | { type: 'direct-ready' }
  /**
   * Output bytes the agent has written on the terminal since DIRECT_READY, and the last of them (agent →
   * CLI): where a resume after an agent restart starts, and whether a closing note needs a new line.
   */
  | { type: 'direct-written'; offset: number; last: number }
  /** The user typed `~.` on the terminal the agent reads: leave the session (agent → CLI). */
  | { type: 'direct-left' }
  /**
   * Writing the CLI's output failed with this errno code (EPIPE: its reader went away; ADR 0038): the
   * CLI ends as it would have on that error itself (agent → CLI).
   */
  | { type: 'direct-failed'; code: string };

/** An errno code as DIRECT_FAILED carries it: `E` and up to 15 capitals or digits. */
export const ERRNO_CODE = /^E[A-Z0-9]{1,15}$/;

const EXIT_CODE = 0;
const EXIT_SIGNAL = 1;
const STATES: readonly TerminalState[] = ['reconnecting', 'resumed'];
const SIGNAL_NAME = /^SIG[A-Z0-9]{1,13}$/;
export const SESSION_ID = /^[0-9a-f]{32}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function bad(message: string): ClawError {
  return new ClawError('BAD_FRAME', `terminal frame: ${message}`);
}

function checkDimension(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_TERMINAL_DIMENSION) {
    throw bad(`${name} must be 1..${MAX_TERMINAL_DIMENSION}, got ${n}`);
  }
}

function checkOffset(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw bad(`offset must be a whole number ≥ 0, got ${n}`);
}

function textBytes(what: string, text: string): Uint8Array {
  const bytes = encoder.encode(text);
  if (bytes.length > MAX_TERMINAL_TEXT)
    throw bad(`${what} of ${bytes.length} bytes exceeds ${MAX_TERMINAL_TEXT}`);
  return bytes;
}

/** ASCII text (a signal name, a session ID: both checked by a pattern afterwards) as bytes, and back. */
function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

function asciiText(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** The u32 (big-endian) at `at`: plain arithmetic, no DataView made for every frame header. */
function u32At(bytes: Uint8Array, at: number): number {
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

function setU32(bytes: Uint8Array, at: number, n: number): void {
  bytes[at] = n >>> 24;
  bytes[at + 1] = (n >>> 16) & 0xff;
  bytes[at + 2] = (n >>> 8) & 0xff;
  bytes[at + 3] = n & 0xff;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One frame with its header: `parts` are written one after the other as the body. */
function frameOf(type: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 1);
  const out = new Uint8Array(TERMINAL_HEADER_BYTES + length);
  setU32(out, 0, length);
  out[TERMINAL_HEADER_BYTES] = type;
  let at = TERMINAL_HEADER_BYTES + 1;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  // Offsets are safe integers (≤ 2^53 − 1): two u32 halves, no BigInt.
  setU32(b, 0, Math.floor(n / 0x100000000));
  setU32(b, 4, n >>> 0);
  return b;
}

function dataFrame(type: 'DATA' | 'STDERR', data: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length > MAX_TERMINAL_DATA) {
    throw bad(`${type} payload must be 1..${MAX_TERMINAL_DATA} bytes, got ${data.length}`);
  }
  return frameOf(type === 'DATA' ? TerminalFrameType.Data : TerminalFrameType.Stderr, data);
}

/**
 * Encodes one frame with its length header.
 * @throws ClawError('BAD_FRAME') for a value the wire cannot carry (empty or oversized DATA, a size
 *   out of range, a bad session ID or signal name, a text over MAX_TERMINAL_TEXT bytes).
 */
export function encodeTerminalFrame(frame: TerminalFrame): Uint8Array {
  switch (frame.type) {
    case 'data':
      return dataFrame('DATA', frame.data);
    case 'stderr':
      return dataFrame('STDERR', frame.data);
    case 'eof':
      return frameOf(TerminalFrameType.Eof);
    case 'resize': {
      checkDimension('cols', frame.cols);
      checkDimension('rows', frame.rows);
      const b = new Uint8Array(4);
      viewOf(b).setUint16(0, frame.cols);
      viewOf(b).setUint16(2, frame.rows);
      return frameOf(TerminalFrameType.Resize, b);
    }
    case 'exit': {
      if ('code' in frame.status) {
        const code = frame.status.code;
        if (!Number.isInteger(code) || code < 0 || code > 0xffffffff)
          throw bad(`exit code ${code} out of range`);
        const b = new Uint8Array(5);
        b[0] = EXIT_CODE;
        viewOf(b).setUint32(1, code);
        return frameOf(TerminalFrameType.Exit, b);
      }
      if (!SIGNAL_NAME.test(frame.status.signal)) throw bad(`bad signal name '${frame.status.signal}'`);
      return frameOf(TerminalFrameType.Exit, Uint8Array.of(EXIT_SIGNAL), asciiBytes(frame.status.signal));
    }
    case 'ack':
      checkOffset(frame.offset);
      return frameOf(TerminalFrameType.Ack, u64(frame.offset));
    case 'session':
      checkOffset(frame.offset);
      if (!SESSION_ID.test(frame.id)) throw bad('session ID must be 32 lowercase hex characters');
      if (frame.input === undefined)
        return frameOf(TerminalFrameType.Session, u64(frame.offset), asciiBytes(frame.id));
      checkOffset(frame.input);
      return frameOf(TerminalFrameType.Session, u64(frame.offset), asciiBytes(frame.id), u64(frame.input));
    case 'status':
      return frameOf(
        TerminalFrameType.Status,
        Uint8Array.of(STATES.indexOf(frame.state)),
        textBytes('status detail', frame.detail),
      );
    case 'error':
      return frameOf(TerminalFrameType.Error, textBytes('error message', frame.message));
    case 'direct-start':
      return frameOf(TerminalFrameType.DirectStart);
    case 'direct-ready':
      return frameOf(TerminalFrameType.DirectReady);
    case 'direct-written': {
      checkOffset(frame.offset);
      if (!Number.isInteger(frame.last) || frame.last < 0 || frame.last > 0xff)
        throw bad(`last byte ${frame.last} out of range`);
      return frameOf(TerminalFrameType.DirectWritten, u64(frame.offset), Uint8Array.of(frame.last));
    }
    case 'direct-left':
      return frameOf(TerminalFrameType.DirectLeft);
    case 'direct-failed':
      if (!ERRNO_CODE.test(frame.code)) throw bad(`bad errno code '${frame.code}'`);
      return frameOf(TerminalFrameType.DirectFailed, asciiBytes(frame.code));
  }
}

function readOffset(body: Uint8Array): number {
  const high = u32At(body, 0);
  // MAX_TERMINAL_OFFSET is 2^53 − 1: its high half is 0x1fffff, any low half goes with it.
  if (high > 0x1fffff) throw bad(`offset ${viewOf(body).getBigUint64(0)} exceeds ${MAX_TERMINAL_OFFSET}`);
  return high * 0x100000000 + u32At(body, 4);
}

function readText(what: string, bytes: Uint8Array): string {
  if (bytes.length > MAX_TERMINAL_TEXT)
    throw bad(`${what} of ${bytes.length} bytes exceeds ${MAX_TERMINAL_TEXT}`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw bad(`${what} is not valid UTF-8`);
  }
}

function expectLength(name: string, body: Uint8Array, length: number): void {
  if (body.length !== length) throw bad(`${name} body must be ${length} bytes, got ${body.length}`);
}

/**
 * Decodes one frame given without its length header (type byte + body). DATA payloads are views of
 * `frame`, not copies.
 * @throws ClawError('BAD_FRAME') naming what is wrong; nothing else.
 */
export function decodeTerminalFrame(frame: Uint8Array): TerminalFrame {
  if (frame.length === 0) throw bad('empty frame');
  if (frame.length > MAX_TERMINAL_FRAME)
    throw bad(`frame of ${frame.length} bytes exceeds ${MAX_TERMINAL_FRAME}`);
  const type = frame[0]!;
  const body = frame.subarray(1);
  switch (type) {
    case TerminalFrameType.Data:
      if (body.length === 0) throw bad('empty DATA');
      return { type: 'data', data: body };
    case TerminalFrameType.Stderr:
      if (body.length === 0) throw bad('empty STDERR');
      return { type: 'stderr', data: body };
    case TerminalFrameType.Eof:
      expectLength('EOF', body, 0);
      return { type: 'eof' };
    case TerminalFrameType.Resize: {
      expectLength('RESIZE', body, 4);
      const cols = viewOf(body).getUint16(0);
      const rows = viewOf(body).getUint16(2);
      checkDimension('cols', cols);
      checkDimension('rows', rows);
      return { type: 'resize', cols, rows };
    }
    case TerminalFrameType.Exit: {
      if (body[0] === EXIT_CODE) {
        expectLength('EXIT', body, 5);
        return { type: 'exit', status: { code: viewOf(body).getUint32(1) } };
      }
      if (body[0] !== EXIT_SIGNAL) throw bad(`unknown EXIT kind ${body[0] ?? 'none'}`);
      const signal = asciiText(body.subarray(1, 1 + 16));
      if (body.length > 1 + 16 || !SIGNAL_NAME.test(signal)) throw bad('bad signal name in EXIT');
      return { type: 'exit', status: { signal } };
    }
    case TerminalFrameType.Ack:
      expectLength('ACK', body, 8);
      return { type: 'ack', offset: readOffset(body) };
    case TerminalFrameType.Session: {
      // The input count follows only when the OPEN asked for it (FEATURE_INPUT_RESUME).
      const short = 8 + SESSION_ID_HEX_LENGTH;
      if (body.length !== short && body.length !== short + 8)
        throw bad(`SESSION body must be ${short} or ${short + 8} bytes, got ${body.length}`);
      const id = asciiText(body.subarray(8, short));
      if (!SESSION_ID.test(id)) throw bad('session ID must be 32 lowercase hex characters');
      const offset = readOffset(body);
      if (body.length === short) return { type: 'session', id, offset };
      return { type: 'session', id, offset, input: readOffset(body.subarray(short)) };
    }
    case TerminalFrameType.Status: {
      const state = STATES[body[0] ?? -1];
      if (!state) throw bad(`unknown STATUS state ${body[0] ?? 'none'}`);
      return { type: 'status', state, detail: readText('status detail', body.subarray(1)) };
    }
    case TerminalFrameType.Error:
      return { type: 'error', message: readText('error message', body) };
    case TerminalFrameType.DirectStart:
      expectLength('DIRECT_START', body, 0);
      return { type: 'direct-start' };
    case TerminalFrameType.DirectReady:
      expectLength('DIRECT_READY', body, 0);
      return { type: 'direct-ready' };
    case TerminalFrameType.DirectWritten:
      expectLength('DIRECT_WRITTEN', body, 9);
      return { type: 'direct-written', offset: readOffset(body), last: body[8]! };
    case TerminalFrameType.DirectLeft:
      expectLength('DIRECT_LEFT', body, 0);
      return { type: 'direct-left' };
    case TerminalFrameType.DirectFailed: {
      const code = asciiText(body.subarray(0, 16));
      if (body.length > 16 || !ERRNO_CODE.test(code)) throw bad('bad errno code in DIRECT_FAILED');
      return { type: 'direct-failed', code };
    }
    default:
      throw bad(`unknown type ${type}`);
  }
}

/**
 * Incremental decoder for a byte stream of frames: feed chunks, get whole frames. Holds the chunks of at
 * most one partial frame (≤ MAX_TERMINAL_FRAME + header), so a peer cannot make it hold more; a frame
 * within one chunk is a view of it, one that spans chunks is joined once it is whole. Chunks must not
 * be changed after they are pushed.
 */
export class TerminalFrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  /** @throws ClawError('FRAME_TOO_LARGE' | 'BAD_FRAME'); after a throw the decoder is unusable. */
  push(chunk: Uint8Array): TerminalFrame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: TerminalFrame[] = [];
    while (this.buffered >= TERMINAL_HEADER_BYTES) {
      const length = u32At(this.peek(TERMINAL_HEADER_BYTES), 0);
      if (length > MAX_TERMINAL_FRAME) {
        throw new ClawError(
          'FRAME_TOO_LARGE',
          `frame of ${length} bytes exceeds the limit of ${MAX_TERMINAL_FRAME} bytes`,
        );
      }
      if (this.buffered < TERMINAL_HEADER_BYTES + length) break;
      this.take(TERMINAL_HEADER_BYTES);
      frames.push(decodeTerminalFrame(this.take(length)));
    }
    return frames;
  }

  /** Bytes held for a frame that has not fully arrived. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** The first `n` buffered bytes (n ≤ buffered), left in place. */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    return first.length >= n ? first.subarray(0, n) : this.join(n, false);
  }

  /** Removes and returns the first `n` buffered bytes (n ≤ buffered). */
  private take(n: number): Uint8Array {
    this.buffered -= n;
    const first = this.chunks[0];
    if (!first || first.length < n) return this.join(n, true);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    return first.subarray(0, n);
  }

  /** The first `n` bytes copied out of the chunks they span; `consume` drops them from the chunks. */
  private join(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const chunk = this.chunks[i]!;
      const k = Math.min(chunk.length, n - at);
      out.set(chunk.subarray(0, k), at);
      at += k;
      if (!consume) i++;
      else if (k === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(k);
    }
    return out;
  }
}

/** `text` cut to at most MAX_TERMINAL_TEXT UTF-8 bytes (on a character boundary), for STATUS and ERROR. */
export function fitText(text: string): string {
  if (encoder.encode(text).length <= MAX_TERMINAL_TEXT) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = encoder.encode(ch).length;
    if (bytes + n > MAX_TERMINAL_TEXT - 3) break;
    out += ch;
    bytes += n;
  }
  return out + '…';
}

/** Which output a chunk is: the terminal's (or a program's stdout), or a program's stderr. */
export type OutputChannel = 'stdout' | 'stderr';

/** DATA (or STDERR) frames for `bytes`, split at MAX_TERMINAL_DATA; none for an empty buffer. */
export function encodeDataFrames(bytes: Uint8Array, channel: OutputChannel = 'stdout'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const type = channel === 'stderr' ? 'stderr' : 'data';
  for (let off = 0; off < bytes.length; off += MAX_TERMINAL_DATA) {
    out.push(encodeTerminalFrame({ type, data: bytes.subarray(off, off + MAX_TERMINAL_DATA) }));
  }
  return out;
}

/** Longest command line accepted, in arguments: the OPEN frame's 8 KiB JSON limit binds first anyway. */
export const MAX_COMMAND_ARGS = 512;
