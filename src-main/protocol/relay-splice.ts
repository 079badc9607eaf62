/**
 * The splice line (docs/relay-protocol.md §Splices): what a node sends first on a TCP connection to the
 * relay's port to join a splice, and how the relay tells such a connection from TLS and HTTP on that
 * same port by its first bytes. The line has a fixed length: `CLAWBRIDGE-SPLICE/1 ` and the token in
 * 64 lowercase hex characters and `\n`. Whatever follows it is already the pipe's.
 */
import { ClawError } from '../core/errors.js';
import { SPLICE_TOKEN_BYTES } from './relay-frames.js';

export const SPLICE_LINE_PREFIX = 'CLAWBRIDGE-SPLICE/1 ';
/** Bytes of the whole line. */
export const SPLICE_LINE_BYTES = SPLICE_LINE_PREFIX.length + SPLICE_TOKEN_BYTES * 2 + 1;
/** First byte of a TLS handshake record (a ClientHello). */
const TLS_HANDSHAKE = 0x16;
const PREFIX = Buffer.from(SPLICE_LINE_PREFIX, 'latin1');
const TOKEN_HEX = /^[0-9a-f]{64}$/;

/** The line that joins the splice of `token`. */
export function encodeSpliceLine(token: Uint8Array): Buffer {
  if (token.length !== SPLICE_TOKEN_BYTES) {
    throw new ClawError('BAD_ARGUMENT', `splice token must be ${SPLICE_TOKEN_BYTES} bytes`);
  }
  return Buffer.from(`${SPLICE_LINE_PREFIX}${Buffer.from(token).toString('hex')}\n`, 'latin1');
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
