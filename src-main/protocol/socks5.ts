/**
 * SOCKS5 wire format (RFC 1928) with username/password sub-negotiation (RFC 1929): decoders for what a
 * client sends and encoders for what a server answers, plus the reverse pair for clients and tests.
 *
 * Pure and incremental: each decoder takes the bytes received so far and answers `more` (a valid prefix,
 * wait for more), `done` (the message and how many bytes it used; anything after belongs to the next
 * message) or `invalid` (with a reason, and for requests the reply code to send before closing). Every
 * message has a fixed upper size (MAX_*_BYTES), so a caller never buffers more than that per stage.
 */

/** Protocol version byte of every SOCKS5 message except the RFC 1929 sub-negotiation. */
export const SOCKS_VERSION = 0x05;
/** Version byte of the RFC 1929 username/password sub-negotiation. */
export const USER_PASS_VERSION = 0x01;

/** Authentication methods (RFC 1928 §3). */
export const AuthMethod = { None: 0x00, UserPassword: 0x02, NoAcceptable: 0xff } as const;
/** Request commands (RFC 1928 §4). Only CONNECT is served; the others get CommandNotSupported. */
export const SocksCommand = { Connect: 0x01, Bind: 0x02, UdpAssociate: 0x03 } as const;
/** Address types (RFC 1928 §5). */
export const AddressType = { IPv4: 0x01, Domain: 0x03, IPv6: 0x04 } as const;
/** Reply codes (RFC 1928 §6). */
export const SocksReply = {
  Succeeded: 0x00,
  GeneralFailure: 0x01,
  NotAllowed: 0x02,
  NetworkUnreachable: 0x03,
  HostUnreachable: 0x04,
  ConnectionRefused: 0x05,
  TtlExpired: 0x06,
  CommandNotSupported: 0x07,
  AddressTypeNotSupported: 0x08,
} as const;

/** Largest greeting in bytes: VER, NMETHODS, up to 255 methods. */
export const MAX_GREETING_BYTES = 2 + 255;
/** Largest RFC 1929 request in bytes: VER, ULEN, 255-byte user, PLEN, 255-byte password. */
export const MAX_USER_PASS_BYTES = 3 + 255 + 255;
/** Largest request in bytes: VER, CMD, RSV, ATYP, length byte + 255-byte name, 2-byte port. */
export const MAX_REQUEST_BYTES = 4 + 1 + 255 + 2;

export type Decoded<T> =
  | { status: 'more' }
  | { status: 'done'; value: T; used: number }
  /** `reply`: the code to answer a request with before closing (absent: just close). */
  | { status: 'invalid'; reason: string; reply?: number };

export interface SocksAddress {
  type: 'ipv4' | 'ipv6' | 'domain';
  /** Dotted quad, RFC 5952 IPv6 text (no brackets), or the domain name as sent. */
  host: string;
  port: number;
}

export interface SocksRequest {
  command: number;
  address: SocksAddress;
}

export interface UserPass {
  user: string;
  password: string;
}

const MORE = { status: 'more' } as const;
const invalid = (reason: string, reply?: number): Decoded<never> =>
  reply === undefined ? { status: 'invalid', reason } : { status: 'invalid', reason, reply };

/** Host names we pass on to the exit peer: letters, digits, `.`, `_`, `-` (and `:` for IPv6 text). */
const HOST_NAME = /^[A-Za-z0-9._:-]+$/;

/** Greeting (RFC 1928 §3): the methods the client offers. */
export function decodeGreeting(buf: Uint8Array): Decoded<{ methods: number[] }> {
  if (buf.length < 1) return MORE;
  if (buf[0] !== SOCKS_VERSION) return invalid(`not a SOCKS5 greeting (version byte ${buf[0]})`);
  if (buf.length < 2) return MORE;
  const n = buf[1]!;
  if (n === 0) return invalid('SOCKS5 greeting offers no authentication method');
  if (buf.length < 2 + n) return MORE;
  return { status: 'done', value: { methods: [...buf.subarray(2, 2 + n)] }, used: 2 + n };
}

/** Username/password request (RFC 1929 §2). An empty user name is accepted (it names no exit peer). */
export function decodeUserPass(buf: Uint8Array): Decoded<UserPass> {
  if (buf.length < 1) return MORE;
  if (buf[0] !== USER_PASS_VERSION) return invalid(`bad username/password version byte ${buf[0]}`);
  if (buf.length < 2) return MORE;
  const ulen = buf[1]!;
  if (buf.length < 3 + ulen) return MORE;
  const plen = buf[2 + ulen]!;
  const end = 3 + ulen + plen;
  if (buf.length < end) return MORE;
  const user = Buffer.from(buf.subarray(2, 2 + ulen)).toString('utf8');
  const password = Buffer.from(buf.subarray(3 + ulen, end)).toString('utf8');
  return { status: 'done', value: { user, password }, used: end };
}

/** Request (RFC 1928 §4). Any command is decoded; the server answers the ones it does not serve. */
export function decodeRequest(buf: Uint8Array): Decoded<SocksRequest> {
  if (buf.length < 1) return MORE;
  if (buf[0] !== SOCKS_VERSION) return invalid(`not a SOCKS5 request (version byte ${buf[0]})`);
  if (buf.length < 4) return MORE;
  const command = buf[1]!;
  const atyp = buf[3]!;
  let type: SocksAddress['type'];
  let start = 4;
  let length: number;
  if (atyp === AddressType.IPv4) {
    type = 'ipv4';
    length = 4;
  } else if (atyp === AddressType.IPv6) {
    type = 'ipv6';
    length = 16;
  } else if (atyp === AddressType.Domain) {
    type = 'domain';
    if (buf.length < 5) return MORE;
    length = buf[4]!;
    start = 5;
    if (length === 0) return invalid('SOCKS5 request with an empty domain name', SocksReply.HostUnreachable);
  } else {
    return invalid(`SOCKS5 address type ${atyp} is not supported`, SocksReply.AddressTypeNotSupported);
  }
  const end = start + length + 2;
  if (buf.length < end) return MORE;
  const raw = buf.subarray(start, start + length);
  let host: string;
  if (type === 'ipv4') host = raw.join('.');
  else if (type === 'ipv6') host = formatIPv6(raw);
  else {
    host = Buffer.from(raw).toString('latin1');
    if (!HOST_NAME.test(host)) {
      return invalid(
        `SOCKS5 request for a malformed host name ${JSON.stringify(host)}`,
        SocksReply.HostUnreachable,
      );
    }
  }
  const port = (buf[end - 2]! << 8) | buf[end - 1]!;
  return { status: 'done', value: { command, address: { type, host, port } }, used: end };
}

/** Server's method choice (RFC 1928 §3). */
export function encodeMethodChoice(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

/** Server's answer to a username/password request (RFC 1929 §2): status 0 = success. */
export function encodeUserPassReply(ok: boolean): Buffer {
  return Buffer.from([USER_PASS_VERSION, ok ? 0x00 : 0x01]);
}

/** Server's reply (RFC 1928 §6). The bound address defaults to 0.0.0.0:0: the exit is elsewhere. */
export function encodeReply(reply: number, bound?: SocksAddress): Buffer {
  return Buffer.concat([
    Buffer.from([SOCKS_VERSION, reply, 0x00]),
    encodeAddress(bound ?? { type: 'ipv4', host: '0.0.0.0', port: 0 }),
  ]);
}

/** Client greeting (for clients and tests). */
export function encodeGreeting(methods: readonly number[]): Buffer {
  return Buffer.from([SOCKS_VERSION, methods.length, ...methods]);
}

/** Client username/password request (RFC 1929); each part at most 255 bytes of UTF-8. */
export function encodeUserPass(user: string, password: string): Buffer {
  const u = Buffer.from(user, 'utf8');
  const p = Buffer.from(password, 'utf8');
  if (u.length > 255 || p.length > 255)
    throw new RangeError('SOCKS5 user name and password are at most 255 bytes');
  return Buffer.concat([Buffer.from([USER_PASS_VERSION, u.length]), u, Buffer.from([p.length]), p]);
}

/** Client request (for clients and tests). */
export function encodeRequest(req: SocksRequest): Buffer {
  return Buffer.concat([Buffer.from([SOCKS_VERSION, req.command, 0x00]), encodeAddress(req.address)]);
}

/** Server reply as a client reads it. */
export function decodeReply(buf: Uint8Array): Decoded<{ reply: number; bound: SocksAddress }> {
  if (buf.length >= 1 && buf[0] !== SOCKS_VERSION)
    return invalid(`not a SOCKS5 reply (version byte ${buf[0]})`);
  if (buf.length < 2) return MORE;
  const reply = buf[1]!;
  // The same layout as a request from byte 2 on; reuse its decoder by swapping in a request header.
  const asRequest = decodeRequest(Buffer.concat([Buffer.from([SOCKS_VERSION, 0]), buf.subarray(2)]));
  if (asRequest.status !== 'done') return asRequest;
  return { status: 'done', value: { reply, bound: asRequest.value.address }, used: asRequest.used };
}

/** ATYP, address and port, as in requests and replies. */
export function encodeAddress(a: SocksAddress): Buffer {
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new RangeError(`bad port ${a.port}`);
  const port = Buffer.from([a.port >> 8, a.port & 0xff]);
  if (a.type === 'ipv4') {
    const parts = a.host.split('.').map(Number);
    if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
      throw new RangeError(`'${a.host}' is not an IPv4 address`);
    }
    return Buffer.concat([Buffer.from([AddressType.IPv4, ...parts]), port]);
  }
  if (a.type === 'ipv6') return Buffer.concat([Buffer.from([AddressType.IPv6]), parseIPv6(a.host), port]);
  const name = Buffer.from(a.host, 'latin1');
  if (name.length === 0 || name.length > 255) throw new RangeError('a SOCKS5 domain name is 1 to 255 bytes');
  return Buffer.concat([Buffer.from([AddressType.Domain, name.length]), name, port]);
}

/** 16 bytes → RFC 5952 text: lower-case hex, the first longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/**
 * IPv6 text (with optional `::` and a trailing dotted quad) → 16 bytes.
 * @throws RangeError when `text` is not an IPv6 address.
 */
export function parseIPv6(text: string): Buffer {
  const fail = () => new RangeError(`'${text}' is not an IPv6 address`);
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    const quad = body.slice(lastColon + 1).split('.');
    if (quad.length !== 4 || quad.some((q) => !/^\d{1,3}$/.test(q) || Number(q) > 255)) throw fail();
    const [a, b, c, d] = quad.map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    // Keep a `::` that ends right before the quad; drop the single `:` that separates it otherwise.
    body = body.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) throw fail();
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const group = (g: string) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw fail();
    return parseInt(g, 16);
  };
  const head = parse(halves[0]!).map(group);
  const rest = halves.length === 2 ? parse(halves[1]!).map(group) : [];
  const total = head.length + rest.length + tail.length;
  if (halves.length === 2 ? total > 7 : total !== 8) throw fail();
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...rest, ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
