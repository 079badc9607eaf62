/**
 * Wire format of the `tcp-connect` service (docs/protocol.md "tcp-connect service"), shared by both ends:
 * the OPEN arguments, and the one result message the exit peer writes first on the stream once it has
 * dialed (or failed to). Pure: no sockets here.
 *
 *   result = version (u8 = 1) ‖ status (u8) ‖ reason length (u8) ‖ reason (UTF-8, ≤ 255 bytes)
 *
 * After an `ok` result the stream carries the TCP bytes both ways; after any other the exit peer ends it.
 * The schemas are made on use (core/made-on-use.ts, ADR 0073), not when the agent loads this module.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';

/** Service name in the mux OPEN frame. */
export const TCP_CONNECT_SERVICE = 'tcp-connect';
/** Version byte of the result message. */
export const TCP_CONNECT_RESULT_VERSION = 1;
/** Longest reason in a result message, in bytes (it is one line for a log and a 502 body). */
export const MAX_RESULT_REASON_BYTES = 255;
/** Largest result message in bytes. */
export const MAX_RESULT_BYTES = 3 + MAX_RESULT_REASON_BYTES;

/** Result status codes; they follow SOCKS5's reply codes where those exist, so mapping stays obvious. */
export const ConnectStatus = {
  Ok: 0,
  GeneralFailure: 1,
  /** The exit peer's destination limits (`forwardTo`) do not include the target. */
  NotAllowed: 2,
  NetworkUnreachable: 3,
  HostUnreachable: 4,
  Refused: 5,
  Timeout: 6,
  HostNotFound: 7,
} as const;
export type ConnectStatusCode = (typeof ConnectStatus)[keyof typeof ConnectStatus];

/**
 * Why a connection through a peer failed, as the opening side sees it: a result status from the exit
 * peer, or a failure before it answered (no such peer, offline, permission refused by the peer).
 */
export type ConnectFailure =
  | 'general'
  | 'not-allowed'
  | 'network-unreachable'
  | 'host-unreachable'
  | 'refused'
  | 'timeout'
  | 'host-not-found'
  | 'permission-denied'
  | 'unknown-peer'
  | 'peer-offline';

const FAILURE_OF_STATUS: Record<number, ConnectFailure> = {
  [ConnectStatus.GeneralFailure]: 'general',
  [ConnectStatus.NotAllowed]: 'not-allowed',
  [ConnectStatus.NetworkUnreachable]: 'network-unreachable',
  [ConnectStatus.HostUnreachable]: 'host-unreachable',
  [ConnectStatus.Refused]: 'refused',
  [ConnectStatus.Timeout]: 'timeout',
  [ConnectStatus.HostNotFound]: 'host-not-found',
};

/** The failure a non-ok status stands for; unknown codes (a newer peer) count as general failures. */
export function failureOfStatus(status: number): ConnectFailure {
  return FAILURE_OF_STATUS[status] ?? 'general';
}

/** Host text: a name, a dotted quad or IPv6 text without brackets (at most 255 bytes, as in SOCKS5). */
const hostSchema = () =>
  z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9._:-]+$/, 'host must be a name or an IP address');

/** A stream resume ID (ADR 0023): 128 random bits in lowercase hex, chosen by the opener. */
export const resumeIdSchema = () =>
  z.string().regex(/^[0-9a-f]{32}$/, 'resume ID must be 32 lowercase hex digits');

/**
 * OPEN arguments: where the exit peer should connect, and, when the opener wants the connection to
 * survive a change of path, the stream's resume ID (forwards/stream-resumes.ts). An exit older than
 * resume refuses the unknown field (BAD_REQUEST); the opener then opens again without it.
 */
export const tcpConnectArgsSchema = madeOnUse(() =>
  z
    .object({
      host: hostSchema(),
      port: z.number().int().min(1).max(65535),
      resume: resumeIdSchema().optional(),
    })
    .strict(),
);
export type TcpConnectArgs = z.infer<ReturnType<typeof tcpConnectArgsSchema>>;

export interface ConnectResult {
  status: number;
  reason: string;
}

/** Encodes a result; a reason longer than MAX_RESULT_REASON_BYTES is cut on a character boundary. */
export function encodeConnectResult(status: ConnectStatusCode, reason = ''): Buffer {
  let text = Buffer.from(reason.replace(/[\r\n]+/g, ' '), 'utf8');
  if (text.length > MAX_RESULT_REASON_BYTES) {
    let cut = MAX_RESULT_REASON_BYTES;
    while (cut > 0 && (text[cut]! & 0xc0) === 0x80) cut--; // never split a UTF-8 sequence
    text = text.subarray(0, cut);
  }
  return Buffer.concat([Buffer.from([TCP_CONNECT_RESULT_VERSION, status, text.length]), text]);
}

export type DecodedResult =
  | { status: 'more' }
  | { status: 'done'; value: ConnectResult; used: number }
  | { status: 'invalid'; reason: string };

/** Decodes a result from the start of `buf` (incremental: `more` until it is complete). */
export function decodeConnectResult(buf: Uint8Array): DecodedResult {
  if (buf.length < 1) return { status: 'more' };
  if (buf[0] !== TCP_CONNECT_RESULT_VERSION) {
    return { status: 'invalid', reason: `tcp-connect result version ${buf[0]} is not supported` };
  }
  if (buf.length < 3) return { status: 'more' };
  const end = 3 + buf[2]!;
  if (buf.length < end) return { status: 'more' };
  const reason = Buffer.from(buf.subarray(3, end)).toString('utf8');
  return { status: 'done', value: { status: buf[1]!, reason }, used: end };
}
