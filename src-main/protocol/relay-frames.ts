/**
 * Relay wire protocol (architecture.md §Relay, architecture.md §Rules the code keeps): one frame per binary WebSocket message,
 * `version u8 ‖ type u8 ‖ body`, integers big-endian. Version, type enum, size limits, encode/decode and
 * nothing else; docs/relay-protocol.md has the layouts. Decoding never throws anything but RelayFrameError
 * (a ClawError that carries the WebSocket close code the relay answers with). Pure (Uint8Array and
 * DataView, no Buffer, no Node import): the agent, the relay and the browser node all use it (ADR 0116).
 */
import { RENDEZVOUS_TAG } from './rendezvous.js';
import { ClawError, type ErrorCode } from '../core/errors.js';
import { bytesOfHex, hexOf, utf8Length } from '../core/hex.js';
import { RelayCloseCode } from './relay-close-codes.js';

/** Protocol version carried in every frame's first byte. */
export const RELAY_PROTOCOL_VERSION = 1;

/** Frame type bytes. 0x0_ are the authentication phase, 0x1_ circuits. */
export const RelayFrameType = {
  CHALLENGE: 0x01,
  HELLO: 0x02,
  AUTH_OK: 0x03,
  OPEN: 0x10,
  OPEN_OK: 0x11,
  INCOMING: 0x12,
  DATA: 0x13,
  CLOSE: 0x14,
  SPLICE: 0x15,
  LISTEN: 0x20,
  LISTEN_TAG: 0x21,
} as const;

/** Bytes of the version + type header. */
export const RELAY_HEADER_BYTES = 2;
/** Bytes of the random challenge nonce. */
export const CHALLENGE_NONCE_BYTES = 32;
/** Bytes of a node ID on the wire (raw SHA-256; 64 hex characters in the API). */
export const NODE_ID_BYTES = 32;
/** Bytes of an identity signature (P-256 r‖s, crypto/signature.ts). */
export const RELAY_SIGNATURE_BYTES = 64;
/** Largest certificate DER in HELLO, in bytes: a P-256 self-signed cert is ~400 bytes. */
export const MAX_CERT_BYTES = 4096;
/** Largest access token, in UTF-8 bytes (u8 length prefix). */
export const MAX_TOKEN_BYTES = 255;
/** Largest relay info string in CHALLENGE, in UTF-8 bytes (u8 length prefix). */
export const MAX_RELAY_INFO_BYTES = 255;
/** Largest CLOSE reason, in UTF-8 bytes: the same bound as a WebSocket close reason, so it can be echoed as one. */
export const MAX_REASON_BYTES = 123;
/** Bytes before the payload of a DATA frame: header + circuit id. The relay rewrites only these. */
export const DATA_HEADER_BYTES = RELAY_HEADER_BYTES + 4;
/**
 * Circuit ids with this bit set are assigned by the relay (INCOMING); ids a node picks for OPEN have it
 * clear. Each connection has its own id space, so the two ends of a circuit never collide.
 */
export const RELAY_ASSIGNED_CIRCUIT_BIT = 0x8000_0000;
/** Bytes of a splice token (SPLICE and the splice line, protocol/relay-splice.ts). */
export const SPLICE_TOKEN_BYTES = 32;
/** The word a relay puts in CHALLENGE's relay info when it takes SPLICE frames and splice lines. */
export const RELAY_FEATURE_SPLICE = 'splice';
/**
 * The word a relay puts in CHALLENGE's relay info when it also takes a splice named by its TLS client's
 * server name instead of a splice line (protocol/relay-splice.ts, ADR 0040).
 */
export const RELAY_FEATURE_SPLICE_SNI = 'splice-sni';
/** The word a relay puts in CHALLENGE's relay info when it takes LISTEN_TAG frames. */
export const RELAY_FEATURE_LISTEN_TAG = 'listen-tag';
/**
 * The word a relay puts in CHALLENGE's relay info when it tells a node that asks (HELLO's flag) the
 * address and port it sees the node's connection come from, in AUTH_OK (as a STUN server would).
 */
export const RELAY_FEATURE_OBSERVED_ADDRESS = 'observed-address';
/** HELLO flag bit: "tell me the address you see me at" (only to a relay announcing observed-address). */
export const HELLO_FLAG_OBSERVED_ADDRESS = 0x01;
/** Longest observed address text in AUTH_OK, in bytes: an IPv6 address with an IPv4 tail is 45. */
export const MAX_OBSERVED_ADDRESS_BYTES = 45;
/** What an observed address may be made of: the characters of IPv4 and IPv6 addresses, nothing else. */
const OBSERVED_ADDRESS = /^[0-9a-f:.]{2,45}$/;

/** The feature words of a CHALLENGE's relay info (`clawbridge-relay/1 splice`: the words after the first). */
export function relayFeatures(relayInfo: string): string[] {
  return relayInfo.split(' ').slice(1).filter(Boolean);
}

/** Signature context for relay authentication (crypto/signature.ts separates uses by context). */
export const RELAY_AUTH_CONTEXT = 'clawbridge relay auth v1';

export type RelayFrame =
  | { type: 'challenge'; nonce: Uint8Array; maxFrameBytes: number; relayInfo: string }
  | {
      type: 'hello';
      certDer: Uint8Array;
      signature: Uint8Array;
      token: string;
      /** Asks for `observed` in AUTH_OK; sent only to a relay that announced RELAY_FEATURE_OBSERVED_ADDRESS. */
      wantsObserved?: true;
    }
  | {
      type: 'auth-ok';
      nodeId: string;
      circuitsPerNode: number;
      idleTimeoutMs: number;
      /** Where the relay sees this connection come from; only when HELLO asked. */
      observed?: ObservedEndpoint;
    }
  | { type: 'open'; circuitId: number; target: string }
  | { type: 'open-ok'; circuitId: number }
  | { type: 'incoming'; circuitId: number; source: string }
  | { type: 'data'; circuitId: number; payload: Uint8Array }
  | { type: 'close'; circuitId: number; code: number; reason: string }
  /**
   * Node → relay, only to a relay that announced RELAY_FEATURE_SPLICE: this end of circuit `circuitId`
   * agrees to splice under `token`. Once both ends of one circuit named the same token, two TCP
   * connections that present it are piped together (docs/relay-protocol.md §Splices).
   */
  | { type: 'splice'; circuitId: number; token: Uint8Array }
  /**
   * A rendezvous alias (a 32-byte ID that is not a node ID, derived from a pairing code's tag): while
   * listening, OPENs to the alias reach this node. `listen: false` stops.
   */
  | { type: 'listen'; alias: string; listen: boolean }
  /**
   * LISTEN by the pairing code's tag, only to a relay that announced RELAY_FEATURE_LISTEN_TAG: the relay
   * derives the alias itself (protocol/rendezvous.ts), so the listener cannot choose it — in particular
   * not a node ID it wants to intercept.
   */
  | { type: 'listen-tag'; tag: string; listen: boolean };

/** An address and port as the relay sees them (lowercase IPv4 or IPv6 text). */
export interface ObservedEndpoint {
  address: string;
  port: number;
}

/** A frame the relay or a node cannot accept; `closeCode` is the WebSocket close code to answer with. */
export class RelayFrameError extends ClawError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly closeCode: number,
  ) {
    super(code, message);
    this.name = 'RelayFrameError';
  }
}

const malformed = (why: string) =>
  new RelayFrameError('BAD_FRAME', `malformed relay frame: ${why}`, RelayCloseCode.MALFORMED_FRAME);

const utf8 = new TextEncoder();
// fatal: invalid UTF-8 is a malformed frame, not a string with replacement characters. ignoreBOM keeps
// a leading U+FEFF as a character, so decoding is exact and every frame has one encoding.
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const TYPE_NAMES = new Map<number, string>(Object.entries(RelayFrameType).map(([k, v]) => [v, k]));

/** Name of a type byte for messages and metrics (`DATA`, or `0x7f` when unknown). */
export function relayFrameTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `0x${type.toString(16).padStart(2, '0')}`;
}

/**
 * Cuts a reason to MAX_REASON_BYTES of UTF-8 on a character boundary, ending with '…' when cut. Fits
 * both a CLOSE frame and a WebSocket close frame.
 */
export function fitReason(text: string): string {
  if (utf8Length(text) <= MAX_REASON_BYTES) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = utf8Length(ch);
    // Leave room for '…' (3 bytes in UTF-8).
    if (bytes + n > MAX_REASON_BYTES - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}

// ---- encoding -----------------------------------------------------------------------------------------

function bad(why: string): ClawError {
  return new ClawError('BAD_ARGUMENT', `cannot encode relay frame: ${why}`);
}

function nodeIdBytes(hex: string, what: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw bad(`${what} must be 64 lowercase hex characters`);
  return bytesOfHex(hex);
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw bad(`${what} must be a u32`);
}

function stringBytes(value: string, max: number, what: string): Uint8Array {
  const bytes = utf8.encode(value);
  if (bytes.length > max) throw bad(`${what} is ${bytes.length} bytes, at most ${max} allowed`);
  return bytes;
}

function observedBytes(o: ObservedEndpoint): Uint8Array {
  if (!OBSERVED_ADDRESS.test(o.address))
    throw bad(`observed address ${JSON.stringify(o.address)} is not an IP address`);
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 0xffff) throw bad('observed port must be a u16');
  // The pattern above admits ASCII only: UTF-8 is latin1 here.
  return utf8.encode(o.address);
}

/**
 * Where an encoder gets a frame's bytes. The agent passes `Buffer.allocUnsafe` for DATA (every byte is
 * written; zero-filling 64 KiB per frame is measurable); a page takes zeroed ones.
 */
export type RelayFrameAlloc = (size: number) => Uint8Array;
const zeroed: RelayFrameAlloc = (size) => new Uint8Array(size);

/** A frame of `bodyLength` bytes of body with its header written. */
function frame(type: number, bodyLength: number, alloc: RelayFrameAlloc = zeroed): Uint8Array {
  const out = alloc(RELAY_HEADER_BYTES + bodyLength);
  out[0] = RELAY_PROTOCOL_VERSION;
  out[1] = type;
  return out;
}

const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Encodes one frame. @throws ClawError('BAD_ARGUMENT') when a field is out of range. */
export function encodeRelayFrame(f: RelayFrame): Uint8Array {
  switch (f.type) {
    case 'challenge': {
      if (f.nonce.length !== CHALLENGE_NONCE_BYTES) throw bad(`nonce must be ${CHALLENGE_NONCE_BYTES} bytes`);
      checkU32(f.maxFrameBytes, 'maxFrameBytes');
      const info = stringBytes(f.relayInfo, MAX_RELAY_INFO_BYTES, 'relay info');
      const out = frame(RelayFrameType.CHALLENGE, CHALLENGE_NONCE_BYTES + 4 + 1 + info.length);
      out.set(f.nonce, 2);
      viewOf(out).setUint32(34, f.maxFrameBytes);
      out[38] = info.length;
      out.set(info, 39);
      return out;
    }
    case 'hello': {
      if (f.certDer.length === 0 || f.certDer.length > MAX_CERT_BYTES) {
        throw bad(`certificate must be 1 to ${MAX_CERT_BYTES} bytes, got ${f.certDer.length}`);
      }
      if (f.signature.length !== RELAY_SIGNATURE_BYTES)
        throw bad(`signature must be ${RELAY_SIGNATURE_BYTES} bytes`);
      const token = stringBytes(f.token, MAX_TOKEN_BYTES, 'access token');
      const n = f.certDer.length;
      const flags = f.wantsObserved ? 1 : 0;
      const out = frame(RelayFrameType.HELLO, 2 + n + RELAY_SIGNATURE_BYTES + 1 + token.length + flags);
      viewOf(out).setUint16(2, n);
      out.set(f.certDer, 4);
      out.set(f.signature, 4 + n);
      out[4 + n + RELAY_SIGNATURE_BYTES] = token.length;
      out.set(token, 5 + n + RELAY_SIGNATURE_BYTES);
      // The flags byte exists only when a flag is set: an older relay never sees one (it would refuse it).
      if (flags) out[5 + n + RELAY_SIGNATURE_BYTES + token.length] = HELLO_FLAG_OBSERVED_ADDRESS;
      return out;
    }
    case 'auth-ok': {
      checkU32(f.circuitsPerNode, 'circuitsPerNode');
      checkU32(f.idleTimeoutMs, 'idleTimeoutMs');
      const seen = f.observed ? observedBytes(f.observed) : undefined;
      const out = frame(RelayFrameType.AUTH_OK, NODE_ID_BYTES + 8 + (seen ? 1 + seen.length + 2 : 0));
      out.set(nodeIdBytes(f.nodeId, 'node id'), 2);
      viewOf(out).setUint32(34, f.circuitsPerNode);
      viewOf(out).setUint32(38, f.idleTimeoutMs);
      if (seen && f.observed) {
        out[42] = seen.length;
        out.set(seen, 43);
        viewOf(out).setUint16(43 + seen.length, f.observed.port);
      }
      return out;
    }
    case 'open':
    case 'incoming': {
      checkU32(f.circuitId, 'circuit id');
      const peer = f.type === 'open' ? f.target : f.source;
      const out = frame(f.type === 'open' ? RelayFrameType.OPEN : RelayFrameType.INCOMING, 4 + NODE_ID_BYTES);
      viewOf(out).setUint32(2, f.circuitId);
      out.set(nodeIdBytes(peer, 'peer node id'), 6);
      return out;
    }
    case 'open-ok': {
      checkU32(f.circuitId, 'circuit id');
      const out = frame(RelayFrameType.OPEN_OK, 4);
      viewOf(out).setUint32(2, f.circuitId);
      return out;
    }
    case 'data':
      return encodeDataFrame(f.circuitId, f.payload);
    case 'splice': {
      checkU32(f.circuitId, 'circuit id');
      if (f.token.length !== SPLICE_TOKEN_BYTES)
        throw bad(`splice token must be ${SPLICE_TOKEN_BYTES} bytes`);
      const out = frame(RelayFrameType.SPLICE, 4 + SPLICE_TOKEN_BYTES);
      viewOf(out).setUint32(2, f.circuitId);
      out.set(f.token, 6);
      return out;
    }
    case 'listen': {
      const out = frame(RelayFrameType.LISTEN, NODE_ID_BYTES + 1);
      out.set(nodeIdBytes(f.alias, 'alias'), 2);
      out[2 + NODE_ID_BYTES] = f.listen ? 1 : 0;
      return out;
    }
    case 'listen-tag': {
      if (!RENDEZVOUS_TAG.test(f.tag)) throw bad('listen tag must be 1–16 characters 0-9 A-Z');
      const out = frame(RelayFrameType.LISTEN_TAG, 1 + f.tag.length);
      out[2] = f.listen ? 1 : 0;
      out.set(utf8.encode(f.tag), 3); // ASCII: RENDEZVOUS_TAG checked it
      return out;
    }
    case 'close': {
      checkU32(f.circuitId, 'circuit id');
      if (!Number.isInteger(f.code) || f.code < 0 || f.code > 0xffff) throw bad('close code must be a u16');
      const reason = stringBytes(f.reason, MAX_REASON_BYTES, 'close reason');
      const out = frame(RelayFrameType.CLOSE, 4 + 2 + 1 + reason.length);
      viewOf(out).setUint32(2, f.circuitId);
      viewOf(out).setUint16(6, f.code);
      out[8] = reason.length;
      out.set(reason, 9);
      return out;
    }
  }
}

/** DATA encoder for the hot path: one allocation (from `alloc`), one copy of the payload. */
export function encodeDataFrame(
  circuitId: number,
  payload: Uint8Array,
  alloc: RelayFrameAlloc = zeroed,
): Uint8Array {
  checkU32(circuitId, 'circuit id');
  const out = frame(RelayFrameType.DATA, 4 + payload.length, alloc);
  viewOf(out).setUint32(2, circuitId);
  out.set(payload, DATA_HEADER_BYTES);
  return out;
}

/**
 * Writes a DATA header into the first DATA_HEADER_BYTES of `buf`, whose payload already follows it, so
 * the whole buffer is the encoded frame without copying the payload (encode-into; see encodeDataFrame).
 * @throws ClawError('BAD_ARGUMENT') for a bad circuit id or a buffer with no payload room.
 */
export function writeDataHeader(buf: Uint8Array, circuitId: number): void {
  checkU32(circuitId, 'circuit id');
  if (buf.length < DATA_HEADER_BYTES) throw bad(`DATA frame needs at least ${DATA_HEADER_BYTES} bytes`);
  buf[0] = RELAY_PROTOCOL_VERSION;
  buf[1] = RelayFrameType.DATA;
  new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setUint32(2, circuitId);
}

/**
 * Rewrites the circuit id of an encoded DATA or CLOSE frame in place, so the relay forwards a payload
 * without copying or reading it. The caller has already decoded the frame (it is well formed).
 */
export function rewriteCircuitId(encoded: Uint8Array, circuitId: number): void {
  checkU32(circuitId, 'circuit id');
  new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength).setUint32(2, circuitId);
}

// ---- decoding -----------------------------------------------------------------------------------------

/** One character per byte (the fields read so are checked against ASCII patterns after). */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/** Reads fields off a frame body; every read is bounds-checked and fails as a malformed frame. */
class Reader {
  private pos = RELAY_HEADER_BYTES;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number, field: string): number {
    if (this.bytes.length - this.pos < n) throw malformed(`${this.what} is truncated at ${field}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(field: string): number {
    return this.view.getUint8(this.need(1, field));
  }
  u16(field: string): number {
    return this.view.getUint16(this.need(2, field));
  }
  u32(field: string): number {
    return this.view.getUint32(this.need(4, field));
  }
  bytesOf(n: number, field: string): Uint8Array {
    const at = this.need(n, field);
    return this.bytes.subarray(at, at + n);
  }
  nodeId(field: string): string {
    return hexOf(this.bytesOf(NODE_ID_BYTES, field));
  }
  string(n: number, field: string): string {
    const raw = this.bytesOf(n, field);
    try {
      return utf8Strict.decode(raw);
    } catch {
      throw malformed(`${this.what} ${field} is not valid UTF-8`);
    }
  }
  /** Bytes not read yet. */
  get left(): number {
    return this.bytes.length - this.pos;
  }
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.pos);
    this.pos = this.bytes.length;
    return out;
  }
  end(): void {
    if (this.pos !== this.bytes.length) {
      throw malformed(`${this.what} has ${this.bytes.length - this.pos} unexpected trailing bytes`);
    }
  }
}

/**
 * The bytes of a WebSocket message that must carry a relay frame (both ends receive frames this way).
 * @throws RelayFrameError(MALFORMED_FRAME) for a text message
 */
export function relayMessageBytes(data: unknown, isBinary: boolean): Uint8Array {
  // ws hands a Buffer (a Uint8Array) for a binary message.
  if (isBinary && data instanceof Uint8Array) return data;
  throw new RelayFrameError(
    'BAD_FRAME',
    'malformed relay frame: text message',
    RelayCloseCode.MALFORMED_FRAME,
  );
}

/**
 * Decodes one frame. Byte fields (nonce, certDer, signature, payload) are views into `bytes`, not copies.
 * @param maxFrameBytes frames longer than this are rejected (ws enforces it first on a live connection)
 * @throws RelayFrameError for anything but a well-formed frame of a known type and this version.
 */
export function decodeRelayFrame(bytes: Uint8Array, maxFrameBytes = Number.MAX_SAFE_INTEGER): RelayFrame {
  if (bytes.length > maxFrameBytes) {
    throw new RelayFrameError(
      'FRAME_TOO_LARGE',
      `relay frame of ${bytes.length} bytes exceeds the limit of ${maxFrameBytes}`,
      RelayCloseCode.FRAME_TOO_LARGE,
    );
  }
  if (bytes.length < RELAY_HEADER_BYTES) throw malformed(`${bytes.length} bytes is shorter than the header`);
  if (bytes[0] !== RELAY_PROTOCOL_VERSION) {
    throw new RelayFrameError(
      'PROTOCOL',
      `unsupported relay protocol version ${bytes[0]} (this build speaks ${RELAY_PROTOCOL_VERSION})`,
      RelayCloseCode.UNSUPPORTED_VERSION,
    );
  }
  const type = bytes[1]!;
  const r = new Reader(bytes, relayFrameTypeName(type));
  let out: RelayFrame;
  switch (type) {
    case RelayFrameType.CHALLENGE: {
      const nonce = r.bytesOf(CHALLENGE_NONCE_BYTES, 'nonce');
      const maxFrame = r.u32('maxFrameBytes');
      out = {
        type: 'challenge',
        nonce,
        maxFrameBytes: maxFrame,
        relayInfo: r.string(r.u8('info length'), 'info'),
      };
      break;
    }
    case RelayFrameType.HELLO: {
      const certLength = r.u16('certificate length');
      if (certLength === 0 || certLength > MAX_CERT_BYTES) {
        throw malformed(`HELLO certificate length ${certLength} is outside 1..${MAX_CERT_BYTES}`);
      }
      const certDer = r.bytesOf(certLength, 'certificate');
      const signature = r.bytesOf(RELAY_SIGNATURE_BYTES, 'signature');
      const token = r.string(r.u8('token length'), 'token');
      const hello: RelayFrame = { type: 'hello', certDer, signature, token };
      if (r.left > 0) {
        const flags = r.u8('flags');
        // Only the one flag is defined, and the byte is sent only with it: one encoding per frame.
        if (flags !== HELLO_FLAG_OBSERVED_ADDRESS)
          throw malformed(`HELLO flags 0x${flags.toString(16)} are not known`);
        hello.wantsObserved = true;
      }
      out = hello;
      break;
    }
    case RelayFrameType.AUTH_OK: {
      const authOk: RelayFrame = {
        type: 'auth-ok',
        nodeId: r.nodeId('node id'),
        circuitsPerNode: r.u32('circuitsPerNode'),
        idleTimeoutMs: r.u32('idleTimeoutMs'),
      };
      if (r.left > 0) {
        const length = r.u8('observed address length');
        if (length > MAX_OBSERVED_ADDRESS_BYTES)
          throw malformed(`AUTH_OK observed address of ${length} bytes`);
        const address = latin1(r.bytesOf(length, 'observed address'));
        if (!OBSERVED_ADDRESS.test(address)) throw malformed('AUTH_OK observed address is not an IP address');
        authOk.observed = { address, port: r.u16('observed port') };
      }
      out = authOk;
      break;
    }
    case RelayFrameType.OPEN:
      out = { type: 'open', circuitId: r.u32('circuit id'), target: r.nodeId('target') };
      break;
    case RelayFrameType.OPEN_OK:
      out = { type: 'open-ok', circuitId: r.u32('circuit id') };
      break;
    case RelayFrameType.INCOMING:
      out = { type: 'incoming', circuitId: r.u32('circuit id'), source: r.nodeId('source') };
      break;
    case RelayFrameType.DATA:
      out = { type: 'data', circuitId: r.u32('circuit id'), payload: r.rest() };
      break;
    case RelayFrameType.CLOSE: {
      const circuitId = r.u32('circuit id');
      const code = r.u16('code');
      const length = r.u8('reason length');
      if (length > MAX_REASON_BYTES)
        throw malformed(`CLOSE reason length ${length} exceeds ${MAX_REASON_BYTES}`);
      out = { type: 'close', circuitId, code, reason: r.string(length, 'reason') };
      break;
    }
    case RelayFrameType.SPLICE:
      out = {
        type: 'splice',
        circuitId: r.u32('circuit id'),
        token: r.bytesOf(SPLICE_TOKEN_BYTES, 'token'),
      };
      break;
    case RelayFrameType.LISTEN: {
      const alias = r.nodeId('alias');
      const flag = r.u8('listen flag');
      if (flag > 1) throw malformed(`LISTEN flag must be 0 or 1, got ${flag}`);
      out = { type: 'listen', alias, listen: flag === 1 };
      break;
    }
    case RelayFrameType.LISTEN_TAG: {
      const flag = r.u8('listen flag');
      if (flag > 1) throw malformed(`LISTEN_TAG flag must be 0 or 1, got ${flag}`);
      const tag = latin1(r.rest());
      if (!RENDEZVOUS_TAG.test(tag)) throw malformed('LISTEN_TAG tag must be 1–16 characters 0-9 A-Z');
      out = { type: 'listen-tag', tag, listen: flag === 1 };
      break;
    }
    default:
      throw new RelayFrameError(
        'PROTOCOL',
        `unknown relay frame type ${relayFrameTypeName(type)}`,
        RelayCloseCode.UNKNOWN_FRAME_TYPE,
      );
  }
  r.end();
  return out;
}
