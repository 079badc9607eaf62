/**
 * Frames on a `message` stream between two nodes (docs/protocol.md "message service", ADR 0046). The
 * node with messages to deliver (the sender) opens the stream; the other (the receiver) answers. Each
 * frame travels as a u32 big-endian length and then its payload (protocol/length-prefixed.ts); every
 * payload starts with the protocol version and a type byte. Pure: encode, decode, limits.
 *
 *   receiver → sender   HELLO      version, largest body it takes: the sender waits for it before any MSG
 *   sender → receiver   MSG        id, topic, flags, TTL, [reply-to], body
 *   receiver → sender   DELIVERED  ids now durably in its inbox (or held there before: a repeat)
 *   sender → receiver   WANT_READ  ids delivered earlier whose READ it has not had
 *   receiver → sender   READ       ids a program on the receiver took
 *   receiver → sender   REFUSED    id, code, reason: final unless the code is INBOX_FULL
 *   receiver → sender   ROOM       after INBOX_FULL: the inbox has room for this sender again
 *   sender → receiver   RESUME     after ROOM: every MSG from here on is a fresh, ordered resend
 *   receiver → sender   RESUMED    every answer before it was to a MSG sent before RESUME (stale
 *                                  INBOX_FULLs the sender ignores), every answer after it to one after
 *
 * The receiver answers MSGs (DELIVERED, REFUSED) and sends ROOM and RESUMED in the order the frames
 * they answer arrived, so the sender can tell which pass of its resends an answer belongs to.
 *
 * A message's sent-at time is its ID's (a UUIDv7 carries its millisecond): one clock, so the two can
 * never disagree, and a receiver can judge which IDs are older than a message it holds.
 */
import { isUtf8 } from 'node:buffer';
import { ClawError } from '../core/errors.js';
import { CONTROL_CHARS } from '../core/names.js';
import { formatUuid, isUuidV7Bytes, parseUuid, UUID_BYTES } from '../core/uuid-v7.js';

/** The service name a sender opens. */
export const MESSAGE_SERVICE = 'message';
/** The version this side speaks; a frame of another version is refused (HELLO would negotiate later ones). */
export const MESSAGE_PROTOCOL_VERSION = 1;
/** The mux OPEN arguments of a `message` stream. */
export const MESSAGE_OPEN_ARGS = { v: MESSAGE_PROTOCOL_VERSION } as const;

/**
 * Why `args` (a mux OPEN's parsed JSON) are not a `message` stream's arguments, or undefined when they
 * are: exactly `{"v":1}`, so a newer opener is refused (BAD_REQUEST) rather than misread.
 */
export function messageOpenArgsProblem(args: unknown): string | undefined {
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    return 'message stream arguments must be an object';
  const keys = Object.keys(args);
  if ((args as { v?: unknown }).v !== MESSAGE_PROTOCOL_VERSION || keys.length !== 1) {
    return `message stream arguments must be {"v":${MESSAGE_PROTOCOL_VERSION}}`;
  }
  return undefined;
}
/** Largest message body, in bytes (1 MiB): a message, not a file transfer (files have their own service). */
export const MAX_MESSAGE_BODY_BYTES = 1024 * 1024;
/** Longest topic, in bytes. */
export const MAX_TOPIC_BYTES = 64;
/** The topic a message has when none is named. */
export const DEFAULT_TOPIC = 'default';
/** Time to live when none is named: 7 days, in ms. */
export const DEFAULT_MESSAGE_TTL_MS = 7 * 24 * 3600_000;
/** Shortest time to live, in ms (1 s): shorter would expire on the way. */
export const MIN_MESSAGE_TTL_MS = 1000;
/** Longest time to live, in ms (30 days): receivers remember IDs that long, and it fits a u32. */
export const MAX_MESSAGE_TTL_MS = 30 * 24 * 3600_000;
/** Most IDs in one DELIVERED, READ or WANT_READ frame (64 KiB of IDs). */
export const MAX_IDS_PER_FRAME = 4096;
/** Longest reason in a REFUSED frame, in UTF-8 bytes. */
export const MAX_REFUSAL_REASON_BYTES = 256;
/** Bytes before a MSG's topic: version, type, id, flags, TTL, topic length. */
const MSG_FIXED_BYTES = 2 + UUID_BYTES + 1 + 4 + 1;
/**
 * Largest frame payload either side accepts, in bytes: a MSG with the longest topic, a reply-to ID and
 * the largest body. Anything longer is a protocol error before it is buffered.
 */
export const MAX_MESSAGE_FRAME_BYTES =
  MSG_FIXED_BYTES + MAX_TOPIC_BYTES + UUID_BYTES + MAX_MESSAGE_BODY_BYTES;

/** MSG flag bits. */
const FLAG_TEXT = 0x01;
const FLAG_REPLY = 0x02;
const FLAG_ERROR = 0x04;
const KNOWN_FLAGS = FLAG_TEXT | FLAG_REPLY | FLAG_ERROR;

/** Type byte of each frame. Append only. */
export const MessageFrameType = {
  hello: 1,
  msg: 2,
  delivered: 3,
  read: 4,
  wantRead: 5,
  refused: 6,
  room: 7,
  resume: 8,
  resumed: 9,
} as const;

/** Why a receiver refused one message. Wire value = index; append only; unknown values read as `UNSPECIFIED`. */
export const MESSAGE_REFUSAL_CODES = [
  'UNSPECIFIED',
  /** The sender lacks the `message` permission here (the grant was withdrawn while the stream was open). */
  'PERMISSION_DENIED',
  /** This sender's share of the inbox is full: the only code that is not final (ROOM says when to resume). */
  'INBOX_FULL',
  /** The body is larger than this receiver takes from this sender at all. */
  'TOO_LARGE',
  /** The message's TTL had passed when it arrived. */
  'EXPIRED',
  /** This sender already has as many topics remembered here as the receiver keeps. */
  'TOO_MANY_TOPICS',
] as const;
export type MessageRefusalCode = (typeof MESSAGE_REFUSAL_CODES)[number];

/** Whether a refusal ends the message for good (everything but INBOX_FULL, which waits for room). */
export function isFinalRefusal(code: MessageRefusalCode): boolean {
  return code !== 'INBOX_FULL';
}

export interface MessageFrameMsg {
  type: 'msg';
  /** UUIDv7, canonical lowercase text. */
  id: string;
  topic: string;
  /** The body is UTF-8 text (checked on decode), not bytes. */
  text: boolean;
  ttlMs: number;
  /** The request this message answers (request/reply), if any. */
  replyTo?: string;
  /** With replyTo: the answer is an error (the serving command failed), its body says why. */
  error?: boolean;
  body: Uint8Array;
}

export type MessageFrame =
  | { type: 'hello'; version: number; maxBodyBytes: number }
  | MessageFrameMsg
  | { type: 'delivered' | 'read' | 'want-read'; ids: string[] }
  | { type: 'refused'; id: string; code: MessageRefusalCode; reason: string }
  | { type: 'room' | 'resume' | 'resumed' };

/** A malformed or oversized frame: the stream is out of step and is closed. */
export class MessageFrameError extends ClawError {
  constructor(message: string, tooLarge = false) {
    super(tooLarge ? 'FRAME_TOO_LARGE' : 'BAD_FRAME', message);
    this.name = 'MessageFrameError';
  }
}

/** Why `topic` is not a topic name, or undefined when it is: 1–64 bytes of `A-Z a-z 0-9 . _ - / :`, starting with a letter or digit. */
export function topicProblem(topic: string): string | undefined {
  if (topic.length === 0 || topic.length > MAX_TOPIC_BYTES) {
    return `a topic is 1 to ${MAX_TOPIC_BYTES} characters, got ${topic.length}`;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/.test(topic)) {
    return `topic ${JSON.stringify(topic)} may hold only letters, digits and . _ - / : (starting with a letter or digit)`;
  }
  return undefined;
}

/** Why `ttlMs` is not a time to live, or undefined when it is. */
export function ttlProblem(ttlMs: number): string | undefined {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < MIN_MESSAGE_TTL_MS || ttlMs > MAX_MESSAGE_TTL_MS) {
    return `a message's time to live is 1 s to 30 days, got ${ttlMs} ms`;
  }
  return undefined;
}

/** Why `reason` cannot travel in a REFUSED frame, or undefined. */
function reasonProblem(reason: string): string | undefined {
  if (Buffer.byteLength(reason) > MAX_REFUSAL_REASON_BYTES) return `over ${MAX_REFUSAL_REASON_BYTES} bytes`;
  if (CONTROL_CHARS.test(reason)) return 'contains control characters';
  return undefined;
}

const codeWire = new Map<MessageRefusalCode, number>(MESSAGE_REFUSAL_CODES.map((c, i) => [c, i]));

/**
 * One frame's payload (without the length header: LengthPrefixed framing adds it).
 * @throws MessageFrameError for a frame that breaks a limit (a sender checks its inputs before this).
 */
export function encodeMessageFrame(frame: MessageFrame): Buffer {
  const head = (type: number, rest: number) => {
    const out = Buffer.allocUnsafe(2 + rest);
    out[0] = MESSAGE_PROTOCOL_VERSION;
    out[1] = type;
    return out;
  };
  switch (frame.type) {
    case 'hello': {
      const out = head(MessageFrameType.hello, 5);
      out[2] = frame.version;
      out.writeUInt32BE(frame.maxBodyBytes, 3);
      return out;
    }
    case 'msg':
      return encodeMsg(frame);
    case 'delivered':
    case 'read':
    case 'want-read': {
      const n = frame.ids.length;
      if (n < 1 || n > MAX_IDS_PER_FRAME) {
        throw new MessageFrameError(`a receipt frame carries 1 to ${MAX_IDS_PER_FRAME} IDs, got ${n}`);
      }
      const type = { delivered: 3, read: 4, 'want-read': 5 }[frame.type];
      const out = head(type, 2 + n * UUID_BYTES);
      out.writeUInt16BE(n, 2);
      frame.ids.forEach((id, i) => out.set(idBytes(id), 4 + i * UUID_BYTES));
      return out;
    }
    case 'refused': {
      const problem = reasonProblem(frame.reason);
      if (problem) throw new MessageFrameError(`refusal reason ${problem}`);
      const reason = Buffer.from(frame.reason);
      const out = head(MessageFrameType.refused, UUID_BYTES + 4 + reason.length);
      out.set(idBytes(frame.id), 2);
      out.writeUInt16BE(codeWire.get(frame.code) ?? 0, 2 + UUID_BYTES);
      out.writeUInt16BE(reason.length, 4 + UUID_BYTES);
      out.set(reason, 6 + UUID_BYTES);
      return out;
    }
    case 'room':
      return head(MessageFrameType.room, 0);
    case 'resume':
      return head(MessageFrameType.resume, 0);
    case 'resumed':
      return head(MessageFrameType.resumed, 0);
  }
}

function encodeMsg(frame: MessageFrameMsg): Buffer {
  const topicErr = topicProblem(frame.topic);
  if (topicErr) throw new MessageFrameError(topicErr);
  const ttlErr = ttlProblem(frame.ttlMs);
  if (ttlErr) throw new MessageFrameError(ttlErr);
  if (frame.body.length > MAX_MESSAGE_BODY_BYTES) {
    throw new MessageFrameError(
      `a message body is at most ${MAX_MESSAGE_BODY_BYTES} bytes (1 MiB), got ${frame.body.length}`,
      true,
    );
  }
  if (frame.error && frame.replyTo === undefined)
    throw new MessageFrameError('an error message must be a reply');
  const reply = frame.replyTo === undefined ? 0 : UUID_BYTES;
  const out = Buffer.allocUnsafe(MSG_FIXED_BYTES + frame.topic.length + reply + frame.body.length);
  out[0] = MESSAGE_PROTOCOL_VERSION;
  out[1] = MessageFrameType.msg;
  out.set(idBytes(frame.id), 2);
  let at = 2 + UUID_BYTES;
  out[at++] = (frame.text ? FLAG_TEXT : 0) | (reply ? FLAG_REPLY : 0) | (frame.error ? FLAG_ERROR : 0);
  out.writeUInt32BE(frame.ttlMs, at);
  at += 4;
  out[at++] = frame.topic.length;
  at += out.write(frame.topic, at, 'latin1');
  if (frame.replyTo !== undefined) {
    out.set(idBytes(frame.replyTo), at);
    at += UUID_BYTES;
  }
  out.set(frame.body, at);
  return out;
}

function idBytes(id: string): Uint8Array {
  try {
    return parseUuid(id);
  } catch (err) {
    throw new MessageFrameError((err as Error).message);
  }
}

/**
 * One frame from its payload. Strict: every byte accounted for, every field within its limits.
 * @throws MessageFrameError for anything else (never another exception).
 */
export function decodeMessageFrame(bytes: Uint8Array): MessageFrame {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > MAX_MESSAGE_FRAME_BYTES) {
    throw new MessageFrameError(`message frame of ${buf.length} bytes is over the limit`, true);
  }
  if (buf.length < 2) throw new MessageFrameError(`message frame of ${buf.length} bytes is too short`);
  if (buf[0] !== MESSAGE_PROTOCOL_VERSION) {
    throw new MessageFrameError(
      `message protocol version ${buf[0]} is not spoken here (${MESSAGE_PROTOCOL_VERSION} is)`,
    );
  }
  const type = buf[1]!;
  const exact = (n: number, what: string) => {
    if (buf.length !== n) throw new MessageFrameError(`${what} frame of ${buf.length} bytes, expected ${n}`);
  };
  switch (type) {
    case MessageFrameType.hello:
      exact(7, 'HELLO');
      return { type: 'hello', version: buf[2]!, maxBodyBytes: buf.readUInt32BE(3) };
    case MessageFrameType.msg:
      return decodeMsg(buf);
    case MessageFrameType.delivered:
    case MessageFrameType.read:
    case MessageFrameType.wantRead: {
      if (buf.length < 4) throw new MessageFrameError('receipt frame too short');
      const n = buf.readUInt16BE(2);
      if (n < 1 || n > MAX_IDS_PER_FRAME) {
        throw new MessageFrameError(`a receipt frame carries 1 to ${MAX_IDS_PER_FRAME} IDs, got ${n}`);
      }
      exact(4 + n * UUID_BYTES, 'receipt');
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(readId(buf, 4 + i * UUID_BYTES));
      const name =
        type === MessageFrameType.delivered
          ? 'delivered'
          : type === MessageFrameType.read
            ? 'read'
            : 'want-read';
      return { type: name, ids };
    }
    case MessageFrameType.refused: {
      if (buf.length < 6 + UUID_BYTES) throw new MessageFrameError('REFUSED frame too short');
      const id = readId(buf, 2);
      const code = MESSAGE_REFUSAL_CODES[buf.readUInt16BE(2 + UUID_BYTES)] ?? 'UNSPECIFIED';
      const n = buf.readUInt16BE(4 + UUID_BYTES);
      exact(6 + UUID_BYTES + n, 'REFUSED');
      const raw = buf.subarray(6 + UUID_BYTES);
      if (!isUtf8(raw)) throw new MessageFrameError('refusal reason is not UTF-8');
      const reason = raw.toString('utf8');
      const problem = reasonProblem(reason);
      if (problem) throw new MessageFrameError(`refusal reason ${problem}`);
      return { type: 'refused', id, code, reason };
    }
    case MessageFrameType.room:
      exact(2, 'ROOM');
      return { type: 'room' };
    case MessageFrameType.resume:
      exact(2, 'RESUME');
      return { type: 'resume' };
    case MessageFrameType.resumed:
      exact(2, 'RESUMED');
      return { type: 'resumed' };
    default:
      throw new MessageFrameError(`unknown message frame type ${type}`);
  }
}

function decodeMsg(buf: Buffer): MessageFrameMsg {
  if (buf.length < MSG_FIXED_BYTES) throw new MessageFrameError('MSG frame too short');
  const id = readId(buf, 2);
  let at = 2 + UUID_BYTES;
  const flags = buf[at++]!;
  if ((flags & ~KNOWN_FLAGS) !== 0)
    throw new MessageFrameError(`MSG has unknown flags 0x${flags.toString(16)}`);
  const ttlMs = buf.readUInt32BE(at);
  at += 4;
  const ttlErr = ttlProblem(ttlMs);
  if (ttlErr) throw new MessageFrameError(ttlErr);
  const topicLength = buf[at++]!;
  if (at + topicLength > buf.length) throw new MessageFrameError('MSG topic runs past the frame');
  const topic = buf.toString('latin1', at, at + topicLength);
  at += topicLength;
  const topicErr = topicProblem(topic);
  if (topicErr) throw new MessageFrameError(topicErr);
  const frame: MessageFrameMsg = {
    type: 'msg',
    id,
    topic,
    text: (flags & FLAG_TEXT) !== 0,
    ttlMs,
    body: new Uint8Array(0),
  };
  if (flags & FLAG_REPLY) {
    if (at + UUID_BYTES > buf.length) throw new MessageFrameError('MSG reply-to runs past the frame');
    frame.replyTo = readId(buf, at);
    at += UUID_BYTES;
  }
  if (flags & FLAG_ERROR) {
    if (!(flags & FLAG_REPLY)) throw new MessageFrameError('an error message must be a reply');
    frame.error = true;
  }
  const body = buf.subarray(at);
  if (body.length > MAX_MESSAGE_BODY_BYTES) {
    throw new MessageFrameError(
      `a message body is at most ${MAX_MESSAGE_BODY_BYTES} bytes (1 MiB), got ${body.length}`,
      true,
    );
  }
  if (frame.text && !isUtf8(body)) throw new MessageFrameError('a text message body is not UTF-8');
  // A copy: the frame may be a view of a receive buffer that is reused, and the body outlives it.
  // From Node's buffer pool when small (a fresh ArrayBuffer per message cost more time, and the
  // garbage collector more work per message: ADR 0059, docs/design/hot-path-costs.md).
  const copy = Buffer.allocUnsafe(body.length);
  copy.set(body);
  frame.body = new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
  return frame;
}

function readId(buf: Buffer, at: number): string {
  const bytes = buf.subarray(at, at + UUID_BYTES);
  if (!isUuidV7Bytes(bytes)) throw new MessageFrameError('a message ID is not a UUIDv7');
  return formatUuid(bytes);
}
