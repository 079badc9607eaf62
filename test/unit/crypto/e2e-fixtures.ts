/** Identities and a one-call handshake for the E2E unit and property tests. */
import { generateIdentity, type Identity } from '../../../src-main/crypto/identity.js';
import {
  HandshakeInitiator,
  HandshakeResponder,
  type InitiatorOptions,
  type ResponderOptions,
} from '../../../src-main/crypto/e2e-handshake.js';
import type { E2ESession, SessionOptions } from '../../../src-main/crypto/records.js';

/** Alice initiates, Bob responds, Mallory is a valid node that is neither. */
export const [alice, bob, mallory]: Identity[] = await Promise.all([
  generateIdentity('alice'),
  generateIdentity('bob'),
  generateIdentity('mallory'),
]);

export function initiator(overrides: Partial<InitiatorOptions> = {}): HandshakeInitiator {
  return new HandshakeInitiator({ identity: alice!, expectedPeer: bob!.fingerprint, ...overrides });
}

export function responder(overrides: Partial<ResponderOptions> = {}): HandshakeResponder {
  return new HandshakeResponder({
    identity: bob!,
    verifyPeer: () => {},
    ...overrides,
  });
}

/** A completed handshake: `a` is Alice's session (initiator), `b` Bob's. */
export function sessionPair(session?: SessionOptions): { a: E2ESession; b: E2ESession } {
  const i = initiator(session ? { session } : {});
  const r = responder(session ? { session } : {});
  const { message, session: a } = i.receive(r.receive(i.start()));
  return { a, b: r.finish(message) };
}

/**
 * Opens every record of `records` in order, returning data frames (key updates yield nothing) as plain
 * Uint8Arrays so deepEqual can compare them with test inputs (open() returns Buffer views).
 */
export function openAll(session: E2ESession, records: Uint8Array[]): Uint8Array[] {
  return records
    .map((r) => session.open(r))
    .filter((f): f is Uint8Array => f !== null)
    .map((f) => new Uint8Array(f));
}
