/**
 * Mux wire format (architecture.md §Mux, architecture.md §Rules the code keeps): version, frame types, limits, encode and decode — nothing else.
 * Every frame is one Link frame: a 6-byte header `[version u8][type u8][streamId u32 BE]` and a body
 * whose layout depends on the type (docs/mux-protocol.md). Decoding validates everything and throws
 * ClawError('BAD_FRAME' | 'FRAME_TOO_LARGE'); encoding rejects bad arguments with ClawError('BAD_ARGUMENT').
 * Pure (Uint8Array and DataView, no Buffer, no Node import): the agent and the browser node both speak
 * the mux with this module (ADR 0116).
 */
import { ClawError } from '../core/errors.js';
import { refusalFromWire, refusalToWire, type RefusalCode } from '../core/refusal-codes.js';

/**
 * Protocol version carried in every frame; a peer speaking another version is refused frame by frame.
 * 2: REJECT and RST carry a refusal code before the reason.
 */
export const MUX_VERSION = 2;

/** Frame types. Stream frames carry a stream ID ≥ 1; link frames (PING, PONG, GOAWAY) carry 0. */
export const FrameType = {
  Open: 1,
  Accept: 2,
  Reject: 3,
  Data: 4,
  Window: 5,
  Fin: 6,
  Rst: 7,
  Ping: 8,
  Pong: 9,
  GoAway: 10,
  /**
   * Resumable streams only (docs/adr/0023-stream-resume.md): the payload bytes this side has received on
   * the stream, cumulative over every link the stream has used (u64). Never sent on other streams.
   */
  Acked: 12,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(FrameType).map(([name, value]) => [value, name.toUpperCase()]),
);

/** Header size in bytes: version (1) + type (1) + stream ID (4). */
export const MUX_HEADER_BYTES = 6;
/**
 * Largest DATA payload in bytes (64 KiB). One socket read (Node reads 64 KiB at a time) becomes one
 * frame, which keeps per-frame costs (AEAD record, WebSocket frame) low; header + payload still fit in
 * MAX_LINK_FRAME (64 KiB + 64).
 */
export const MAX_DATA_PAYLOAD = 64 * 1024;
/** Longest service name in bytes; names are short lowercase ASCII like `terminal` or `tcp-connect`. */
export const MAX_SERVICE_NAME = 32;
/** Largest OPEN arguments, in bytes of UTF-8 JSON (8 KiB): arguments describe a stream, bulk data goes on it. */
export const MAX_OPEN_ARGS_BYTES = 8 * 1024;
/** Size of the refusal code at the start of a REJECT or RST body (u16 BE; core/refusal-codes.ts). */
export const REFUSAL_CODE_BYTES = 2;
/** Longest REJECT / RST / GOAWAY reason in bytes of UTF-8; longer reasons are cut on encode. */
export const MAX_REASON_BYTES = 256;
/** Largest WINDOW increment (2^31 − 1 bytes), as in HTTP/2, so credit sums stay exact in a double. */
export const MAX_WINDOW_INCREMENT = 0x7fff_ffff;
/**
 * Largest ACKED offset: 2^53 − 1 bytes, so offsets stay exact in a double (8 PiB per stream is plenty).
 */
export const MAX_ACKED_OFFSET = Number.MAX_SAFE_INTEGER;
/** Largest stream ID (u32). IDs are never reused on a link. */
export const MAX_STREAM_ID = 0xffff_ffff;
/** Largest mux frame in bytes: header + the largest body (a full DATA payload). */
export const MAX_MUX_FRAME = MUX_HEADER_BYTES + MAX_DATA_PAYLOAD;
/**
 * Credit every stream starts with in each direction, in bytes (256 KiB). Both ends assume it, so the
 * sender may send this much before the first WINDOW; a receiver wanting more grants it with WINDOW.
 */
export const INITIAL_STREAM_WINDOW = 256 * 1024;
/** Most credit a sender may hold on one stream, in bytes (16 MiB); more is a protocol violation. */
export const MAX_STREAM_WINDOW = 16 * 1024 * 1024;

/** Service names: lowercase letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export type MuxFrame =
  | { type: typeof FrameType.Open; streamId: number; service: string; args: unknown }
  | { type: typeof FrameType.Accept; streamId: number }
  | { type: typeof FrameType.Reject; streamId: number; code: RefusalCode; reason: string }
  | { type: typeof FrameType.Data; streamId: number; payload: Uint8Array }
  | { type: typeof FrameType.Window; streamId: number; increment: number }
  | { type: typeof FrameType.Fin; streamId: number }
  | { type: typeof FrameType.Rst; streamId: number; code: RefusalCode; reason: string }
  | { type: typeof FrameType.Ping; streamId: 0; nonce: bigint }
  | { type: typeof FrameType.Pong; streamId: 0; nonce: bigint }
  | { type: typeof FrameType.GoAway; streamId: 0; reason: string }
  | { type: typeof FrameType.Acked; streamId: number; offset: number };

/** Readable name of a frame type for messages, e.g. `DATA`, or `type 42` for an unknown one. */
export function frameTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** True for the frame types that belong to the whole link (stream ID 0). */
export function isLinkFrameType(type: number): boolean {
  return type === FrameType.Ping || type === FrameType.Pong || type === FrameType.GoAway;
}

const utf8 = new TextEncoder();
// fatal: malformed UTF-8 is a bad frame, not U+FFFD; ignoreBOM: keep a leading U+FEFF so text round-trips.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Where an encoder gets the bytes of a frame. The agent passes `Buffer.allocUnsafe` for DATA: every
 * byte is written, and zero-filling 64 KiB per DATA frame is measurable; a page takes zeroed ones.
 */
export type FrameAlloc = (size: number) => Uint8Array;
const zeroed: FrameAlloc = (size) => new Uint8Array(size);

const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function header(size: number, type: FrameType, streamId: number, alloc: FrameAlloc = zeroed): Uint8Array {
  const buf = alloc(size);
  buf[0] = MUX_VERSION;
  buf[1] = type;
  buf[2] = streamId >>> 24;
  buf[3] = (streamId >>> 16) & 0xff;
  buf[4] = (streamId >>> 8) & 0xff;
  buf[5] = streamId & 0xff;
  return buf;
}

function checkStreamId(type: FrameType, streamId: number): void {
  const link = isLinkFrameType(type);
  if (!Number.isInteger(streamId) || streamId < (link ? 0 : 1) || streamId > (link ? 0 : MAX_STREAM_ID)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${frameTypeName(type)} frame needs stream ID ${link ? '0' : `1..${MAX_STREAM_ID}`}, got ${streamId}`,
    );
  }
}

/** UTF-8 of `reason`, cut on a character boundary to MAX_REASON_BYTES (reasons are informative only). */
function reasonBytes(reason: string): Uint8Array {
  const bytes = utf8.encode(reason);
  if (bytes.length <= MAX_REASON_BYTES) return bytes;
  let cut = MAX_REASON_BYTES;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

function checkData(streamId: number, length: number): void {
  checkStreamId(FrameType.Data, streamId);
  if (length === 0 || length > MAX_DATA_PAYLOAD) {
    throw new ClawError('BAD_ARGUMENT', `DATA payload must be 1..${MAX_DATA_PAYLOAD} bytes, got ${length}`);
  }
}

/**
 * Encodes one DATA frame with a single allocation (from `alloc`) and a single copy of the payload.
 * @throws ClawError('BAD_ARGUMENT') for an empty or oversized payload or a bad stream ID.
 */
export function encodeData(streamId: number, payload: Uint8Array, alloc: FrameAlloc = zeroed): Uint8Array {
  checkData(streamId, payload.length);
  const buf = header(MUX_HEADER_BYTES + payload.length, FrameType.Data, streamId, alloc);
  buf.set(payload, MUX_HEADER_BYTES);
  return buf;
}

/**
 * Encodes only the header of a DATA frame whose payload is `length` bytes: header ‖ payload is the
 * frame, for a Link that takes the two parts separately (no copy of the payload).
 * @throws ClawError('BAD_ARGUMENT') for an empty or oversized payload or a bad stream ID.
 */
export function encodeDataHeader(streamId: number, length: number): Uint8Array {
  checkData(streamId, length);
  return header(MUX_HEADER_BYTES, FrameType.Data, streamId);
}

/**
 * Encodes any frame into one buffer ready for `Link.send`.
 * @throws ClawError('BAD_ARGUMENT') when a field is out of range (a bug or bad input on this side).
 */
export function encodeFrame(frame: MuxFrame): Uint8Array {
  checkStreamId(frame.type, frame.streamId);
  switch (frame.type) {
    case FrameType.Data:
      return encodeData(frame.streamId, frame.payload);
    case FrameType.Accept:
    case FrameType.Fin:
      return header(MUX_HEADER_BYTES, frame.type, frame.streamId);
    case FrameType.Reject:
    case FrameType.Rst: {
      const reason = reasonBytes(frame.reason);
      const buf = header(MUX_HEADER_BYTES + REFUSAL_CODE_BYTES + reason.length, frame.type, frame.streamId);
      viewOf(buf).setUint16(MUX_HEADER_BYTES, refusalToWire(frame.code));
      buf.set(reason, MUX_HEADER_BYTES + REFUSAL_CODE_BYTES);
      return buf;
    }
    case FrameType.GoAway: {
      const reason = reasonBytes(frame.reason);
      const buf = header(MUX_HEADER_BYTES + reason.length, frame.type, frame.streamId);
      buf.set(reason, MUX_HEADER_BYTES);
      return buf;
    }
    case FrameType.Window: {
      const inc = frame.increment;
      if (!Number.isInteger(inc) || inc < 1 || inc > MAX_WINDOW_INCREMENT) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `WINDOW increment must be 1..${MAX_WINDOW_INCREMENT}, got ${inc}`,
        );
      }
      const buf = header(MUX_HEADER_BYTES + 4, frame.type, frame.streamId);
      // Byte by byte: a DataView per WINDOW frame costs more than the frame (one per window's worth of data).
      buf[6] = inc >>> 24;
      buf[7] = (inc >>> 16) & 0xff;
      buf[8] = (inc >>> 8) & 0xff;
      buf[9] = inc & 0xff;
      return buf;
    }
    case FrameType.Ping:
    case FrameType.Pong: {
      if (frame.nonce < 0n || frame.nonce > 0xffff_ffff_ffff_ffffn) {
        throw new ClawError('BAD_ARGUMENT', `${frameTypeName(frame.type)} nonce must be a u64`);
      }
      const buf = header(MUX_HEADER_BYTES + 8, frame.type, 0);
      viewOf(buf).setBigUint64(MUX_HEADER_BYTES, frame.nonce);
      return buf;
    }
    case FrameType.Open:
      return encodeOpen(frame.streamId, frame.service, frame.args);
    case FrameType.Acked: {
      const offset = frame.offset;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > MAX_ACKED_OFFSET) {
        throw new ClawError('BAD_ARGUMENT', `ACKED offset must be 0..${MAX_ACKED_OFFSET}, got ${offset}`);
      }
      const buf = header(MUX_HEADER_BYTES + 8, frame.type, frame.streamId);
      viewOf(buf).setBigUint64(MUX_HEADER_BYTES, BigInt(offset));
      return buf;
    }
  }
}

function encodeOpen(streamId: number, service: string, args: unknown): Uint8Array {
  if (service.length < 1 || service.length > MAX_SERVICE_NAME || !SERVICE_NAME.test(service)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `service name must be 1..${MAX_SERVICE_NAME} characters of a-z 0-9 . _ - (starting with a letter or digit), got ${JSON.stringify(service)}`,
    );
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(args);
  } catch (err) {
    throw new ClawError('BAD_ARGUMENT', `stream arguments for "${service}" are not JSON-serializable`, {
      cause: err,
    });
  }
  const argBytes = utf8.encode(json ?? 'null');
  if (argBytes.length > MAX_OPEN_ARGS_BYTES) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `stream arguments for "${service}" take ${argBytes.length} bytes of JSON, over the ${MAX_OPEN_ARGS_BYTES}-byte limit; send bulk data on the stream instead`,
    );
  }
  const buf = header(MUX_HEADER_BYTES + 1 + service.length + argBytes.length, FrameType.Open, streamId);
  buf[MUX_HEADER_BYTES] = service.length;
  // The name is checked ASCII above: one byte per character.
  for (let i = 0; i < service.length; i++) buf[MUX_HEADER_BYTES + 1 + i] = service.charCodeAt(i);
  buf.set(argBytes, MUX_HEADER_BYTES + 1 + service.length);
  return buf;
}

function bad(message: string): ClawError {
  return new ClawError('BAD_FRAME', `bad mux frame: ${message}`);
}

function tooLarge(message: string): ClawError {
  return new ClawError('FRAME_TOO_LARGE', `mux frame too large: ${message}`);
}

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw bad(`${what} is not valid UTF-8`);
  }
}

function decodeReason(body: Uint8Array, name: string): string {
  if (body.length > MAX_REASON_BYTES) {
    throw tooLarge(`${name} reason is ${body.length} bytes, the limit is ${MAX_REASON_BYTES}`);
  }
  return decodeText(body, `${name} reason`);
}

function expectBody(body: Uint8Array, size: number, name: string): void {
  if (body.length !== size) throw bad(`${name} body must be ${size} bytes, got ${body.length}`);
}

/**
 * A DATA frame that arrived in pieces (a link's reads: PiecesLink), decoded without joining them: the
 * stream ID and the payload as views of the pieces. Undefined for anything that is not a valid DATA
 * frame with its header in the first piece; the caller then joins the pieces and uses `decodeFrame`,
 * which says what is wrong, so both paths accept and refuse exactly the same frames.
 */
/** The stream ID in a frame's header (bytes 2–5), without decoding the rest; the frame has a header. */
export function streamIdOf(frame: Uint8Array): number {
  return ((frame[2]! << 24) | (frame[3]! << 16) | (frame[4]! << 8) | frame[5]!) >>> 0;
}

export function decodeDataPieces<T extends Uint8Array>(
  pieces: readonly T[],
): { streamId: number; payload: T[] } | undefined {
  const first = pieces[0];
  if (!first || first.length < MUX_HEADER_BYTES) return undefined;
  if (first[0] !== MUX_VERSION || first[1] !== FrameType.Data) return undefined;
  let total = 0;
  for (const p of pieces) total += p.length;
  if (total > MAX_MUX_FRAME || total === MUX_HEADER_BYTES) return undefined;
  const streamId = streamIdOf(first);
  if (streamId === 0) return undefined;
  // A Buffer's subarray is a Buffer: the pieces keep their kind.
  const payload = [first.subarray(MUX_HEADER_BYTES) as T, ...pieces.slice(1)].filter((p) => p.length > 0);
  return { streamId, payload };
}

/**
 * Decodes and validates one frame received from the peer. DATA payloads are views into `bytes` (no copy).
 * Checks the version, type, stream ID range for the type, exact body sizes, limits, UTF-8 and JSON.
 * Does not check stream state (that is the Mux's job).
 * @throws ClawError('BAD_FRAME') for a malformed frame, ClawError('FRAME_TOO_LARGE') for one over a limit.
 */
export function decodeFrame(bytes: Uint8Array): MuxFrame {
  if (bytes.length > MAX_MUX_FRAME) {
    throw tooLarge(`${bytes.length} bytes, the limit is ${MAX_MUX_FRAME}`);
  }
  if (bytes.length < MUX_HEADER_BYTES) {
    throw bad(`${bytes.length} bytes is shorter than the ${MUX_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== MUX_VERSION) {
    throw bad(
      `protocol version ${version} is not supported (this node speaks ${MUX_VERSION}); update Clawbridge on both nodes`,
    );
  }
  const type = view.getUint8(1);
  const streamId = view.getUint32(2);
  const name = frameTypeName(type);
  if (TYPE_NAMES[type] === undefined) throw bad(`unknown frame ${name}`);
  if (isLinkFrameType(type) ? streamId !== 0 : streamId === 0) {
    throw bad(
      `${name} frame has stream ID ${streamId}; ${isLinkFrameType(type) ? 'must be 0' : 'must not be 0'}`,
    );
  }
  const body = bytes.subarray(MUX_HEADER_BYTES);
  switch (type) {
    case FrameType.Data:
      if (body.length === 0) throw bad(`DATA frame on stream ${streamId} has an empty payload`);
      // A view of `bytes`, no copy: the agent's mux views it as a Buffer (still no copy) for its streams.
      return { type, streamId, payload: body };
    case FrameType.Accept:
    case FrameType.Fin:
      expectBody(body, 0, name);
      return { type, streamId };
    case FrameType.Reject:
    case FrameType.Rst: {
      if (body.length < REFUSAL_CODE_BYTES) {
        throw bad(`${name} body must start with a ${REFUSAL_CODE_BYTES}-byte code, got ${body.length} bytes`);
      }
      const code = refusalFromWire(view.getUint16(MUX_HEADER_BYTES));
      return { type, streamId, code, reason: decodeReason(body.subarray(REFUSAL_CODE_BYTES), name) };
    }
    case FrameType.GoAway:
      return { type, streamId: 0, reason: decodeReason(body, name) };
    case FrameType.Window: {
      expectBody(body, 4, name);
      const increment = view.getUint32(MUX_HEADER_BYTES);
      if (increment < 1 || increment > MAX_WINDOW_INCREMENT) {
        throw bad(
          `WINDOW increment ${increment} on stream ${streamId} is outside 1..${MAX_WINDOW_INCREMENT}`,
        );
      }
      return { type, streamId, increment };
    }
    case FrameType.Ping:
    case FrameType.Pong:
      expectBody(body, 8, name);
      return { type, streamId: 0, nonce: view.getBigUint64(MUX_HEADER_BYTES) };
    case FrameType.Open:
      return decodeOpen(body, streamId);
    case FrameType.Acked: {
      expectBody(body, 8, name);
      const wide = view.getBigUint64(MUX_HEADER_BYTES);
      if (wide > BigInt(MAX_ACKED_OFFSET)) {
        throw bad(`ACKED offset ${wide} on stream ${streamId} is over ${MAX_ACKED_OFFSET}`);
      }
      return { type, streamId, offset: Number(wide) };
    }
    default:
      throw bad(`unknown frame ${name}`);
  }
}

function decodeOpen(body: Uint8Array, streamId: number): MuxFrame {
  const nameLen = body[0] ?? 0;
  if (nameLen < 1 || nameLen > MAX_SERVICE_NAME || body.length < 1 + nameLen) {
    throw bad(
      `OPEN on stream ${streamId} has a service name length of ${nameLen} (need 1..${MAX_SERVICE_NAME})`,
    );
  }
  let service = '';
  for (let i = 1; i <= nameLen; i++) service += String.fromCharCode(body[i] ?? 0);
  if (!SERVICE_NAME.test(service)) {
    throw bad(
      `OPEN on stream ${streamId} names service ${JSON.stringify(service)}; allowed are a-z 0-9 . _ -`,
    );
  }
  const argBytes = body.subarray(1 + nameLen);
  if (argBytes.length > MAX_OPEN_ARGS_BYTES) {
    throw tooLarge(`OPEN arguments are ${argBytes.length} bytes, the limit is ${MAX_OPEN_ARGS_BYTES}`);
  }
  const json = decodeText(argBytes, 'OPEN arguments');
  let args: unknown;
  try {
    args = JSON.parse(json);
  } catch {
    throw bad(`OPEN arguments for "${service}" on stream ${streamId} are not valid JSON`);
  }
  return { type: FrameType.Open, streamId, service, args };
}
