/**
 * Shared by the E2E vector generator (e2e-generate.ts) and test (e2e-handshake.test.ts): the vector file's
 * shape, a deterministic signer, and a run of the real handshake code with the vector's fixed inputs.
 *
 * ECDSA with node:crypto is randomized, so a vector made with it could not pin msg2, msg3 or the traffic
 * keys. The vectors therefore sign with RFC 6979 deterministic ECDSA (@noble/curves p256) over exactly the
 * bytes signIdentity signs (context ‖ 0x00 ‖ data, SHA-256, r‖s); node's verify checks them like any other.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { HandshakeInitiator, HandshakeResponder } from '../../src-main/crypto/e2e-handshake.js';
import type { E2ESession } from '../../src-main/crypto/records.js';

export interface VectorParty {
  certPem: string;
  keyPem: string;
  fingerprint: string;
  ephemeralPrivate: string;
  ephemeralPublic: string;
}

export interface VectorRecord {
  direction: 'i2r' | 'r2i';
  /** Counter of the record under its key (the nonce), after any key update. */
  counter: number;
  /** "data" or "key-update". */
  kind: 'data' | 'key-update';
  plaintext: string;
  record: string;
}

/** test/vectors/e2e-handshake.json. Every byte string is lowercase hex. */
export interface E2EVector {
  description: string;
  protocol: string;
  initiator: VectorParty;
  responder: VectorParty;
  prologue: string;
  /** Session options used for the records: a low key-update limit so the vector shows one. */
  session: { rekeyAfterRecords: number };
  msg1: string;
  msg2: string;
  msg3: string;
  sharedSecret: string;
  th2: string;
  handshakeSecret: string;
  r2iHandshakeKey: string;
  i2rHandshakeKey: string;
  r2iMacKey: string;
  i2rMacKey: string;
  thFinal: string;
  i2rTrafficSecret: string;
  r2iTrafficSecret: string;
  i2rRecordKey: string;
  r2iRecordKey: string;
  i2rNextTrafficSecret: string;
  records: VectorRecord[];
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** RFC 6979 signer over the same message layout as signIdentity. */
export function deterministicSigner(keyPem: string): (context: string, data: Uint8Array) => Uint8Array {
  const jwk = createPrivateKey(keyPem).export({ format: 'jwk' });
  const secret = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
  return (context, data) => {
    const msg = Buffer.concat([Buffer.from(context + '\0', 'utf8'), data]);
    return p256.sign(msg, secret, { prehash: true, format: 'compact' });
  };
}

export function certDerOf(certPem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(certPem).raw);
}

/** Plaintexts the vector seals: i2r three frames (a key update falls before the third), r2i one. */
export const VECTOR_PLAINTEXTS: { direction: 'i2r' | 'r2i'; text: string }[] = [
  { direction: 'i2r', text: '' },
  { direction: 'i2r', text: 'hello from the initiator' },
  { direction: 'i2r', text: 'after the key update' },
  { direction: 'r2i', text: 'hello from the responder' },
];

/** Runs the real handshake with the vector's fixed ephemerals and deterministic signatures. */
export function runVectorHandshake(
  v: Pick<E2EVector, 'initiator' | 'responder' | 'prologue' | 'session'>,
  signers: 'deterministic' | 'random' = 'deterministic',
): { msg1: Uint8Array; msg2: Uint8Array; msg3: Uint8Array; i: E2ESession; r: E2ESession } {
  const common = (p: VectorParty) => ({
    identity: { certDer: certDerOf(p.certPem), keyPem: p.keyPem },
    ephemeralPrivate: unhex(p.ephemeralPrivate),
    prologue: unhex(v.prologue),
    session: v.session,
    ...(signers === 'deterministic' ? { signer: deterministicSigner(p.keyPem) } : {}),
  });
  const initiator = new HandshakeInitiator({ ...common(v.initiator), expectedPeer: v.responder.fingerprint });
  const responder = new HandshakeResponder({
    ...common(v.responder),
    verifyPeer: (fp) => {
      if (fp !== v.initiator.fingerprint) throw new Error(`unexpected initiator ${fp}`);
    },
  });
  const msg1 = initiator.start();
  const msg2 = responder.receive(msg1);
  const { message: msg3, session: i } = initiator.receive(msg2);
  const r = responder.finish(msg3);
  return { msg1, msg2, msg3, i, r };
}
