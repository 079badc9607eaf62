/**
 * Checks a node's HELLO against the CHALLENGE it answers (architecture.md §Relay): the access token when the relay
 * has one, then the identity signature over the exact CHALLENGE bytes, so nobody can register under a
 * node ID whose key they do not hold and no signature serves twice (the nonce is fresh per connection).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { fingerprintOfCert, verifyIdentity } from '../crypto/signature.js';
import type { RelayCloseCodeName } from '../protocol/relay-close-codes.js';
import { RELAY_AUTH_CONTEXT, type RelayFrame } from '../protocol/relay-frames.js';

export type AuthResult = { ok: true; nodeId: string } | { ok: false; refusal: RelayCloseCodeName };

type Hello = Extract<RelayFrame, { type: 'hello' }>;

/** Compares digests, not the strings, so timing says nothing about the token's length or prefix. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * @param challenge the CHALLENGE frame exactly as sent on this connection
 * @param token the relay's access token, or undefined when the relay is open
 */
export function checkHello(hello: Hello, challenge: Uint8Array, token: string | undefined): AuthResult {
  // The token is checked first: it costs a hash, the signature costs an ECDSA verification.
  if (token !== undefined) {
    if (hello.token === '') return { ok: false, refusal: 'TOKEN_REQUIRED' };
    if (!tokenMatches(hello.token, token)) return { ok: false, refusal: 'TOKEN_REJECTED' };
  }
  if (!verifyIdentity(hello.certDer, RELAY_AUTH_CONTEXT, challenge, hello.signature)) {
    return { ok: false, refusal: 'BAD_SIGNATURE' };
  }
  return { ok: true, nodeId: fingerprintOfCert(hello.certDer) };
}
