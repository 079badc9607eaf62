/**
 * The browser's copy of the terminal wire format (src-main/protocol/terminal-frames.ts): u32 big-endian
 * length of what follows, u8 type, body. That file needs Node's Buffer and zod, which a sandboxed page
 * does not have, so this one repeats the layout with DataView and TextEncoder only; a unit test runs
 * both against each other so the two cannot drift.
 */

/** Type codes on the wire (same values as TerminalFrameType in terminal-frames.ts). */
export const FrameType = {
  Data: 1,
  Resize: 2,
  Exit: 3,
  Ack: 4,
  Session: 5,
  Status: 6,
  Error: 7,
  Eof: 8,
  Stderr: 9,
} as const;

/** Largest DATA payload, in bytes (64 KiB): what the agent accepts in one frame. */
export const MAX_DATA = 64 * 1024;

/** Largest frame after the length header, in bytes: the type byte plus the largest DATA payload. */
export const MAX_FRAME = 1 + MAX_DATA;

const HEADER = 4;

export type ExitStatus = { code: number } | { signal: string };

export type Frame =
  | { type: 'data'; data: Uint8Array }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'exit'; status: ExitStatus }
  | { type: 'ack'; offset: number }
  | { type: 'session'; id: string; offset: number }
  | { type: 'status'; state: 'reconnecting' | 'resumed'; detail: string }
  | { type: 'error'; message: string };

const STATES = ['reconnecting', 'resumed'] as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });
const latin1 = new TextDecoder('latin1');

export class FrameError extends Error {
  constructor(message: string) {
    super(`terminal frame: ${message}`);
    this.name = 'FrameError';
  }
}

function frameOf(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + 1 + body.length);
  new DataView(out.buffer).setUint32(0, 1 + body.length);
  out[HEADER] = type;
  out.set(body, HEADER + 1);
  return out;
}

function u64(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new FrameError(`offset must be a whole number ≥ 0, got ${n}`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/** Encodes the frames a viewer sends: input, window size and acknowledgements. */
export function encodeFrame(
  frame:
    | { type: 'data'; data: Uint8Array }
    | { type: 'resize'; cols: number; rows: number }
    | { type: 'ack'; offset: number },
): Uint8Array {
  switch (frame.type) {
    case 'data':
      if (frame.data.length === 0 || frame.data.length > MAX_DATA) {
        throw new FrameError(`DATA payload must be 1..${MAX_DATA} bytes, got ${frame.data.length}`);
      }
      return frameOf(FrameType.Data, frame.data);
    case 'resize': {
      const b = new Uint8Array(4);
      const view = new DataView(b.buffer);
      view.setUint16(0, frame.cols);
      view.setUint16(2, frame.rows);
      return frameOf(FrameType.Resize, b);
    }
    case 'ack':
      return frameOf(FrameType.Ack, u64(frame.offset));
  }
}

/** DATA frames for `text` typed or pasted, split at MAX_DATA, concatenated into one message. */
export function encodeInput(text: string | Uint8Array): Uint8Array {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  const parts: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; off += MAX_DATA) {
    parts.push(encodeFrame({ type: 'data', data: bytes.subarray(off, off + MAX_DATA) }));
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes one frame given without its length header. DATA payloads are views, not copies. */
export function decodeFrame(frame: Uint8Array): Frame {
  if (frame.length === 0) throw new FrameError('empty frame');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const body = frame.subarray(1);
  const need = (name: string, n: number) => {
    if (body.length !== n) throw new FrameError(`${name} body must be ${n} bytes, got ${body.length}`);
  };
  switch (frame[0]) {
    case FrameType.Data:
      if (body.length === 0) throw new FrameError('empty DATA');
      return { type: 'data', data: body };
    // A program on pipes (a session the CLI opened, taken over here): its stderr is drawn like the rest.
    case FrameType.Stderr:
      if (body.length === 0) throw new FrameError('empty STDERR');
      return { type: 'data', data: body };
    case FrameType.Resize:
      need('RESIZE', 4);
      return { type: 'resize', cols: view.getUint16(1), rows: view.getUint16(3) };
    case FrameType.Exit:
      if (body[0] === 0) {
        need('EXIT', 5);
        return { type: 'exit', status: { code: view.getUint32(2) } };
      }
      if (body[0] === 1) return { type: 'exit', status: { signal: latin1.decode(body.subarray(1)) } };
      throw new FrameError(`unknown EXIT kind ${body[0] ?? 'none'}`);
    case FrameType.Ack:
      need('ACK', 8);
      return { type: 'ack', offset: Number(view.getBigUint64(1)) };
    case FrameType.Session:
      need('SESSION', 40);
      return { type: 'session', offset: Number(view.getBigUint64(1)), id: latin1.decode(body.subarray(8)) };
    case FrameType.Status: {
      const state = STATES[body[0] ?? -1];
      if (!state) throw new FrameError(`unknown STATUS state ${body[0] ?? 'none'}`);
      return { type: 'status', state, detail: decoder.decode(body.subarray(1)) };
    }
    case FrameType.Error:
      return { type: 'error', message: decoder.decode(body) };
    default:
      throw new FrameError(`unknown type ${frame[0]}`);
  }
}

/**
 * Incremental decoder: feed WebSocket / MessagePort messages (whole frames or pieces), get whole frames.
 * Holds at most one partial frame, so a misbehaving sender cannot make it buffer more.
 */
export class FrameDecoder {
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Frame[] {
    let buf = this.pending.length === 0 ? chunk : concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (buf.length >= HEADER) {
      const length = new DataView(buf.buffer, buf.byteOffset, HEADER).getUint32(0);
      if (length > MAX_FRAME) throw new FrameError(`frame of ${length} bytes exceeds ${MAX_FRAME}`);
      if (buf.length < HEADER + length) break;
      frames.push(decodeFrame(buf.subarray(HEADER, HEADER + length)));
      buf = buf.subarray(HEADER + length);
    }
    // Copy the remainder: it may be a view of a message buffer we must not keep alive or see change.
    this.pending = buf.length === 0 ? new Uint8Array(0) : buf.slice();
    return frames;
  }
}
