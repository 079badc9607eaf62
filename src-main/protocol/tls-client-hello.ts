/**
 * The server name (SNI, RFC 6066 §3) of a TLS ClientHello, read from a connection's first bytes without
 * terminating TLS: a relay routes a splice by it (docs/relay-protocol.md §Splices), as an SNI proxy
 * routes by host name. Only the first record is read (RFC 8446 §5.1 lets a ClientHello span records; a
 * hello that does not fit its first record names no server here, and its connection goes to the relay's
 * own TLS server as any other). Every length is checked against what encloses it; nothing here throws.
 */

/** Record type of a TLS handshake record. */
const HANDSHAKE_RECORD = 0x16;
/** Handshake message type of a ClientHello. */
const CLIENT_HELLO = 0x01;
/** Extension type of server_name. */
const SERVER_NAME_EXTENSION = 0x0000;
/** NameType host_name in a ServerNameList. */
const HOST_NAME = 0x00;
/** Bytes of a record header: type, legacy version, length. */
export const TLS_RECORD_HEADER_BYTES = 5;
/** Most bytes a plaintext record may carry (RFC 8446 §5.1: 2^14). */
export const TLS_MAX_PLAINTEXT = 16_384;

/**
 * What the first bytes of a TLS connection say: `more` until its first record is whole (`bytes`: how
 * many the answer needs, so a caller need not look again before), then the host name its ClientHello
 * asks for (`serverName`, undefined when it names none or is not a ClientHello that fits that record).
 * `recordBytes` is the length of that first record with its header.
 */
export type ClientHelloRead =
  { state: 'more'; bytes: number } | { state: 'read'; serverName: string | undefined; recordBytes: number };

/** Reads the server name of the ClientHello that `head` (a connection's first bytes) begins. */
export function readClientHelloServerName(head: Uint8Array): ClientHelloRead {
  if (head.length < TLS_RECORD_HEADER_BYTES) return { state: 'more', bytes: TLS_RECORD_HEADER_BYTES };
  const length = (head[3]! << 8) | head[4]!;
  if (head[0] !== HANDSHAKE_RECORD || length > TLS_MAX_PLAINTEXT) {
    return { state: 'read', serverName: undefined, recordBytes: TLS_RECORD_HEADER_BYTES };
  }
  const recordBytes = TLS_RECORD_HEADER_BYTES + length;
  if (head.length < recordBytes) return { state: 'more', bytes: recordBytes };
  const body = head.subarray(TLS_RECORD_HEADER_BYTES, recordBytes);
  return { state: 'read', serverName: serverNameOf(body), recordBytes };
}

/** A cursor over `bytes` that reads big-endian fields and says `undefined` past the end. */
class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get left(): number {
    return this.bytes.length - this.at;
  }

  uint(width: 1 | 2 | 3): number | undefined {
    if (this.left < width) return undefined;
    let n = 0;
    for (let i = 0; i < width; i++) n = (n << 8) | this.bytes[this.at++]!;
    return n;
  }

  take(n: number): Reader | undefined {
    if (this.left < n) return undefined;
    const part = new Reader(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return part;
  }

  /** A field with a length prefix of `width` bytes. */
  vector(width: 1 | 2 | 3): Reader | undefined {
    const n = this.uint(width);
    return n === undefined ? undefined : this.take(n);
  }

  text(): string {
    return Buffer.from(this.bytes.subarray(this.at)).toString('latin1');
  }
}

/** The host name of a ClientHello handshake message (RFC 8446 §4.1.2), if it has exactly one. */
function serverNameOf(record: Uint8Array): string | undefined {
  const r = new Reader(record);
  if (r.uint(1) !== CLIENT_HELLO) return undefined;
  const hello = r.vector(3);
  if (!hello || !hello.take(2 + 32)) return undefined; // legacy_version, random
  if (!hello.vector(1) || !hello.vector(2) || !hello.vector(1)) return undefined; // session id, suites, compression
  const extensions = hello.vector(2);
  let name: string | undefined;
  while (extensions && extensions.left > 0) {
    const type = extensions.uint(2);
    const data = extensions.vector(2);
    if (type === undefined || !data) return undefined;
    if (type !== SERVER_NAME_EXTENSION) continue;
    if (name !== undefined) return undefined; // RFC 8446 §4.2: an extension at most once
    const list = data.vector(2);
    if (!list || data.left !== 0 || list.uint(1) !== HOST_NAME) return undefined;
    const host = list.vector(2);
    // RFC 6066: one name of each type; a host_name is non-empty.
    if (!host || host.left === 0 || list.left !== 0) return undefined;
    name = host.text();
  }
  return name;
}
