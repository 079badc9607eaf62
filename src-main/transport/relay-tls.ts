/**
 * Trust decision for a wss:// relay (architecture.md §Relay). The client connects with CA verification reported but
 * not enforced (`rejectUnauthorized: false`), then decides here, before the WebSocket opens and before
 * anything is signed or a token is sent:
 * - pinned: the certificate's SHA-256 must equal the pin; CA verification does not matter;
 * - not pinned: normal CA verification (and host name check) must have passed; a self-signed or
 *   otherwise untrusted certificate is refused with its fingerprint, so the user can pin it.
 */
import { createHash } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { hereHint, type Hint } from '../core/hint.js';

/** How to pin a relay's certificate, in words, and the command that does it when there is one. */
export interface PinHint {
  text: string;
  hint?: Hint;
}

/** OpenSSL verification errors that mean "self-signed", as opposed to expired, wrong host, etc. */
const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

/** SHA-256 of the peer certificate's DER as 64 lowercase hex, or undefined when there is none. */
export function peerCertFingerprint(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !('raw' in cert) || !cert.raw) return undefined;
  return createHash('sha256').update(cert.raw).digest('hex');
}

/**
 * Returns the reason to refuse the relay's certificate, or undefined to go on.
 * @param socket the socket the upgrade response came on; a plain socket (ws://) is always accepted
 * @param pinned canonical fingerprint (64 lowercase hex) or undefined
 */
/** For a relay this node saved: the agent flag (read when an agent starts: the hint says so). */
export function savedRelayPinHint(url: string, got: string): PinHint {
  return { text: `pin it: stop the agent and start it again with --relay-fingerprint ${url}=${got}` };
}

/** For a peer's home relay reached on demand: its pin is the one the peer announced. */
export function peerRelayPinHint(url: string, got: string): PinHint {
  return {
    text: "this relay is a peer's, used on demand and pinned as that peer announced it: once the peer pins the new certificate, its next hello brings the pin here; to pin it yourself, add that peer again with this relay and its fingerprint",
    hint: hereHint(
      ['peers', 'add', 'FINGERPRINT', '--name', 'NAME', '--relay', url, '--relay-fingerprint', got],
      '--relay-fingerprint',
    ),
  };
}

export function checkRelayCertificate(
  url: string,
  socket: unknown,
  pinned: string | undefined,
  hint: (url: string, got: string) => PinHint = savedRelayPinHint,
): ClawError | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const got = peerCertFingerprint(socket);
  if (!got)
    return new ClawError('RELAY_UNREACHABLE', `relay ${url} presented no TLS certificate — check the URL`);
  const { text: pinHint, hint: pinCommand } = hint(url, got);
  const options = pinCommand ? { hint: pinCommand } : undefined;
  if (pinned) {
    if (got === pinned) return undefined;
    return new ClawError(
      'RELAY_FINGERPRINT_MISMATCH',
      `relay ${url}: tls fingerprint mismatch: expected ${abbreviateFingerprint(pinned)}, got ${abbreviateFingerprint(got)} — the relay's certificate changed or someone is in between; if you trust the new certificate, ${pinHint}`,
      options,
    );
  }
  if (socket.authorized) return undefined;
  const why = String(socket.authorizationError ?? 'unknown verification error');
  if (SELF_SIGNED.has(why)) {
    return new ClawError(
      'RELAY_UNPINNED',
      `relay ${url} presents an unpinned self-signed certificate with fingerprint ${got}; if that is your relay, ${pinHint}`,
      options,
    );
  }
  return new ClawError(
    'RELAY_UNPINNED',
    `relay ${url} presents a certificate that does not verify (${why}) with fingerprint ${got}; if that is your relay, ${pinHint}`,
    options,
  );
}
