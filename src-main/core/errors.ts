/**
 * Stable error codes (architecture.md §Rules the code keeps). Every error a user can meet carries a code that scripts can match on
 * and a one-line message that says what failed and what to do.
 */
import type { Hint } from './hint.js';
import type { RefusalCode } from './refusal-codes.js';

export type ErrorCode =
  | 'BAD_FINGERPRINT'
  | 'BAD_ARGUMENT'
  | 'BAD_FRAME'
  | 'FRAME_TOO_LARGE'
  | 'PROTOCOL'
  | 'HANDSHAKE_FAILED'
  | 'FINGERPRINT_MISMATCH'
  | 'DECRYPT_FAILED'
  | 'UNKNOWN_PEER'
  | 'PEER_OFFLINE'
  | 'PEER_NOT_FOUND'
  | 'RELAY_UNREACHABLE'
  | 'RELAY_AUTH_FAILED'
  | 'RELAY_UNPINNED'
  | 'RELAY_FINGERPRINT_MISMATCH'
  | 'RELAY_LIMIT'
  | 'NO_AGENT'
  | 'AGENT_RUNNING'
  | 'STREAM_RESET'
  | 'STREAM_REJECTED'
  | 'LINK_CLOSED'
  | 'TIMEOUT'
  | 'CONFIG_INVALID'
  | 'INTERNAL'
  | 'IDENTITY_INVALID'
  | 'IPC_REJECTED'
  | 'RELAY_REPLACED'
  | 'BAD_PAIR_CODE'
  | 'BAD_INVITE'
  | 'PAIRING_FAILED'
  | 'PAIRING_REJECTED'
  | 'CONNECT_FAILED'
  | 'ADDRESS_IN_USE'
  | 'TERMINAL_LOST'
  | 'KEY_IN_DESKTOP_APP'
  /** The outbox holds as many undelivered messages as it may (messages/outbox.ts). */
  | 'OUTBOX_FULL'
  /** The receiver refused a message whose receipt was awaited (`msg send --wait`; its why says which code). */
  | 'MESSAGE_REFUSED'
  /** A message's time to live passed before the awaited receipt came. */
  | 'MESSAGE_EXPIRED'
  /** A file transfer ended without every file verified there (`file send`; its why says what happened). */
  | 'TRANSFER_FAILED'
  /** No router on the LAN granted a port mapping (UPnP IGD, NAT-PMP), or it could not be renewed. */
  | 'PORT_MAPPING_FAILED'
  /** A home already has a service (`clawbridge service install`): one home, one service. */
  | 'SERVICE_EXISTS'
  /** The platform's service manager (systemctl, launchctl, schtasks) refused or failed a step. */
  | 'SERVICE_FAILED'
  /** A write found the disk holding it full (ENOSPC) or the user's quota on it used up (EDQUOT). */
  | 'DISK_FULL'
  /** A write found the disk holding it mounted read-only (EROFS). */
  | 'DISK_READ_ONLY';

export class ClawError extends Error {
  /**
   * When the other side refused (STREAM_REJECTED, STREAM_RESET, UNKNOWN_PEER from a link refusal): its
   * machine-readable reason (protocol/refusal-codes.ts), so callers decide by code, never by text.
   */
  readonly refusal: RefusalCode | undefined;
  /** With `refusal`: the other side's reason in its own words, for a line that adds its own context. */
  readonly peerReason: string | undefined;
  /**
   * The command that does what the message says to do (core/hint.ts): the message names it in words
   * only, and each client renders the command its own way.
   */
  readonly hint: Hint | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; refusal?: RefusalCode; peerReason?: string; hint?: Hint },
  ) {
    super(message, options);
    this.name = 'ClawError';
    this.refusal = options?.refusal;
    this.peerReason = options?.peerReason;
    this.hint = options?.hint;
  }
}

/** The hint `err` carries, if it is a ClawError with one. */
export function hintOf(err: unknown): Hint | undefined {
  return err instanceof ClawError ? err.hint : undefined;
}

/** The refusal code `err` carries, if it is a ClawError from a refusal. */
export function refusalOf(err: unknown): RefusalCode | undefined {
  return err instanceof ClawError ? err.refusal : undefined;
}

/** True when `err` is a ClawError, optionally with the given code. */
export function isClawError(err: unknown, code?: ErrorCode): err is ClawError {
  return err instanceof ClawError && (code === undefined || err.code === code);
}

/** The one line shown to a user for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The code of the socket error (ECONNREFUSED…) that `err` is or was caused by, when there is one. */
export function errnoOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}
