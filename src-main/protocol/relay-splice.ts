/**
 * How a node names its splice to the relay (docs/relay-protocol.md §Splices), and how the relay tells
 * such a connection from TLS and HTTP on its port by its first bytes. Two ways:
 *
 * - the splice line, sent first on a TCP connection: `CLAWBRIDGE-SPLICE/1 `, the token in 64 lowercase
 *   hex characters and `\n`, a fixed length. Whatever follows it is already the pipe's.
 * - the splice server name, the SNI of the TLS client's own ClientHello (to a relay that lists
 *   `splice-sni`, ADR 0040): `<32 hex>.<32 hex>.clawbridge-splice.invalid`. The relay reads it from the
 *   hello and pipes the hello on with everything after it. `.invalid` (RFC 2606) is never a real host,
 *   so no relay's own name can be taken for one.
 */
import { ClawError } from '../core/errors.js';
import { RELAY_FEATURE_SPLICE, RELAY_FEATURE_SPLICE_SNI, SPLICE_TOKEN_BYTES } from './relay-frames.js';

export const SPLICE_LINE_PREFIX = 'CLAWBRIDGE-SPLICE/1 ';
/** Bytes of the whole line. */
export const SPLICE_LINE_BYTES = SPLICE_LINE_PREFIX.length + SPLICE_TOKEN_BYTES * 2 + 1;
/** First byte of a TLS handshake record (a ClientHello). */
const TLS_HANDSHAKE = 0x16;
const PREFIX = Buffer.from(SPLICE_LINE_PREFIX, 'latin1');
const TOKEN_HEX = /^[0-9a-f]{64}$/;
/** The name after the token's two labels (two: a DNS label holds at most 63 characters, RFC 1035). */
const SPLICE_SERVER_NAME_SUFFIX = '.clawbridge-splice.invalid';
const SERVER_NAME = /^([0-9a-f]{32})\.([0-9a-f]{32})\.clawbridge-splice\.invalid$/;

/** The line that joins the splice of `token`. */
export function encodeSpliceLine(token: Uint8Array): Buffer {
  if (token.length !== SPLICE_TOKEN_BYTES) {
    throw new ClawError('BAD_ARGUMENT', `splice token must be ${SPLICE_TOKEN_BYTES} bytes`);
  }
  return Buffer.from(`${SPLICE_LINE_PREFIX}${Buffer.from(token).toString('hex')}\n`, 'latin1');
}

/**
 * How a node names its splice connection to the relay: a splice line before its TLS, or its
 * ClientHello's server name, which only the TLS client has (the other end always sends the line).
 */
export type SpliceJoin = 'line' | 'server-name';

/** How a relay with these CHALLENGE feature words takes a TLS client's splice; undefined: no splices. */
export function spliceJoinFor(relayFeatures: readonly string[]): SpliceJoin | undefined {
  if (!relayFeatures.includes(RELAY_FEATURE_SPLICE)) return undefined;
  return relayFeatures.includes(RELAY_FEATURE_SPLICE_SNI) ? 'server-name' : 'line';
}

/** The server name that joins the splice of `token`. */
export function spliceServerName(token: Uint8Array): string {
  if (token.length !== SPLICE_TOKEN_BYTES) {
    throw new ClawError('BAD_ARGUMENT', `splice token must be ${SPLICE_TOKEN_BYTES} bytes`);
  }
  const hex = Buffer.from(token).toString('hex');
  return `${hex.slice(0, 32)}.${hex.slice(32)}${SPLICE_SERVER_NAME_SUFFIX}`;
}

/** The token (64 hex) a server name joins, or undefined when it is not a splice server name. */
export function tokenOfServerName(name: string): string | undefined {
  const m = SERVER_NAME.exec(name);
  return m ? m[1]! + m[2]! : undefined;
}

/**
 * What a connection to the relay's port speaks, from its first bytes: `tls`, `splice`, `http`
 * (anything else: the HTTP server answers it), or `more` when the bytes so far could still begin a
 * splice line.
 */
export function classifyFirstBytes(head: Uint8Array): 'tls' | 'splice' | 'http' | 'more' {
  if (head.length === 0) return 'more';
  if (head[0] === TLS_HANDSHAKE) return 'tls';
  const n = Math.min(head.length, PREFIX.length);
  for (let i = 0; i < n; i++) if (head[i] !== PREFIX[i]) return 'http';
  return n === PREFIX.length ? 'splice' : 'more';
}

/**
 * The token (64 hex) of a whole splice line (SPLICE_LINE_BYTES bytes).
 * @throws ClawError('BAD_FRAME') when it is not one.
 */
export function parseSpliceLine(line: Uint8Array): string {
  const text = Buffer.from(line).toString('latin1');
  const token = text.slice(PREFIX.length, -1);
  if (
    line.length !== SPLICE_LINE_BYTES ||
    !text.startsWith(SPLICE_LINE_PREFIX) ||
    !text.endsWith('\n') ||
    !TOKEN_HEX.test(token)
  ) {
    throw new ClawError(
      'BAD_FRAME',
      `malformed splice line: expected "${SPLICE_LINE_PREFIX}" and ${SPLICE_TOKEN_BYTES * 2} lowercase hex characters and a newline`,
    );
  }
  return token;
}
