/**
 * The E2E handshake over a relay circuit: SIGMA-I (Krawczyk, "SIGMA: the 'SIGn-and-MAc' approach to
 * authenticated Diffie-Hellman", CRYPTO 2003, §5.2 — the identity-protecting variant used by IKEv2 and by
 * TLS 1.3's certificate handshake):
 *
 *   msg1 I→R  E_I
 *   msg2 R→I  E_R, AEAD_hsR{ cert_R, Sig_R(transcript), MAC_R(transcript) }
 *   msg3 I→R       AEAD_hsI{ cert_I, Sig_I(transcript), MAC_I(transcript) }
 *
 * Ephemeral X25519 keys give forward secrecy; each side signs the transcript hash (both ephemerals and
 * its own certificate) with its identity key under a role-specific context, and MACs it under a key
 * derived from the shared secret, which binds its identity to this exchange. Identities travel
 * encrypted, so the relay never sees which certificates are in use. Byte layouts: e2e-messages.ts;
 * key schedule: e2e-keys.ts; both specified in docs/protocol.md.
 *
 * Pure state machines, no I/O: the caller moves bytes (transport/e2e-link.ts).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint, parseFingerprint } from '../core/fingerprint.js';
import {
  confirmationMac,
  deriveHandshakeSecrets,
  deriveTrafficSecrets,
  INITIATOR_SIGNATURE_CONTEXT,
  macEquals,
  openHandshake,
  RESPONDER_SIGNATURE_CONTEXT,
  sealHandshake,
  Transcript,
  type HandshakeSecrets,
} from './e2e-keys.js';
import {
  decodeBody,
  decodeMsg1,
  decodeMsg2,
  decodeMsg3,
  encodeBody,
  encodeCertBlock,
  encodeEphemeralHeader,
  encodeHeader,
  MessageType,
  X25519_KEY_BYTES,
} from './e2e-messages.js';
import { E2ESession, type SessionOptions } from './records.js';
import { x25519PublicKey, x25519SharedSecret } from './x25519.js';
import { fingerprintOfCert, privateKeyFrom, signIdentity, verifyIdentity } from './signature.js';

/** This node's identity as the handshake needs it. */
export interface HandshakeIdentity {
  certDer: Uint8Array;
  keyPem: string | KeyObject;
}

/** Options shared by both roles. */
interface CommonOptions {
  identity: HandshakeIdentity;
  /** Bytes both sides agree on out of band (e.g. circuit info); bound into the transcript. */
  prologue?: Uint8Array;
  /** Fixed ephemeral X25519 private key: for test vectors only, never in production. */
  ephemeralPrivate?: Uint8Array;
  /** Replaces signing with `identity.keyPem`: for test vectors only (a deterministic RFC 6979 signer). */
  signer?: (context: string, data: Uint8Array) => Uint8Array;
  /** Record-layer tunables for the resulting session. */
  session?: SessionOptions;
}

export interface InitiatorOptions extends CommonOptions {
  /** Fingerprint the responder must prove; any other certificate fails with FINGERPRINT_MISMATCH. */
  expectedPeer: string;
}

export interface ResponderOptions extends CommonOptions {
  /** Decides whether the proven initiator may connect; throws (e.g. UNKNOWN_PEER) to refuse. */
  verifyPeer: (fingerprint: string, certDer: Uint8Array) => void;
}

function handshakeError(message: string, cause?: unknown): ClawError {
  return new ClawError('HANDSHAKE_FAILED', message, cause === undefined ? undefined : { cause });
}

/** Shared base: ephemeral key, transcript, signing and the one-way state. */
abstract class HandshakeParty {
  protected readonly transcript: Transcript;
  protected readonly ephemeralPrivate: Uint8Array;
  protected readonly sign: (context: string, data: Uint8Array) => Uint8Array;
  protected secrets: HandshakeSecrets | undefined;
  protected step = 0;

  constructor(protected readonly opts: CommonOptions) {
    this.transcript = new Transcript(opts.prologue);
    const fixed = opts.ephemeralPrivate;
    if (fixed && fixed.length !== X25519_KEY_BYTES) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `ephemeral private key must be ${X25519_KEY_BYTES} bytes, got ${fixed.length}`,
      );
    }
    this.ephemeralPrivate = fixed ? fixed.slice() : new Uint8Array(randomBytes(X25519_KEY_BYTES));
    encodeCertBlock(opts.identity.certDer); // validates the size early, at construction
    if (opts.signer) {
      this.sign = opts.signer;
    } else {
      const key = privateKeyFrom(opts.identity.keyPem); // parse the PEM once, not per handshake step
      this.sign = (context, data) => signIdentity(key, context, data);
    }
  }

  /** Moves from `from` to `from + 1`; anything else is an out-of-order call. Fails closed meanwhile. */
  protected advance(from: number, what: string): void {
    if (this.step !== from) {
      const state = this.step < 0 ? 'after the handshake failed' : 'out of order';
      this.step = -1;
      throw handshakeError(`${what} called ${state}`);
    }
    this.step = -1; // stays failed unless the step completes
  }

  protected ephemeralPublic(): Uint8Array {
    return x25519PublicKey(this.ephemeralPrivate);
  }

  /** X25519 with the peer's ephemeral; rejects low-order points (all-zero shared secret). */
  protected agree(peerEphemeral: Uint8Array): Uint8Array {
    let shared: Uint8Array;
    try {
      shared = x25519SharedSecret(this.ephemeralPrivate, peerEphemeral);
    } catch (err) {
      throw handshakeError(
        'peer sent a low-order X25519 key (shared secret is zero) — refusing the handshake',
        err,
      );
    }
    // OpenSSL already refuses an all-zero result; checked again because accepting one would be fatal.
    if (shared.every((b) => b === 0)) {
      throw handshakeError(
        'peer sent a low-order X25519 key (shared secret is zero) — refusing the handshake',
      );
    }
    this.ephemeralPrivate.fill(0); // forward secrecy: the ephemeral is used exactly once
    return shared;
  }

  /** Builds this side's body (certificate, signature, MAC), adding each item to the transcript. */
  protected proveIdentity(context: string, macKey: Uint8Array): Uint8Array {
    const certBlock = encodeCertBlock(this.opts.identity.certDer);
    const signature = this.sign(context, this.transcript.add(certBlock).hash());
    const mac = confirmationMac(macKey, this.transcript.add(signature).hash());
    this.transcript.add(mac);
    return encodeBody(certBlock, signature, mac);
  }

  /** Checks the peer's body: signature over the transcript, then MAC. Returns the peer's cert DER. */
  protected checkIdentity(
    plain: Uint8Array,
    context: string,
    macKey: Uint8Array,
    who: string,
    beforeSignature?: (certDer: Uint8Array) => void,
  ): Uint8Array {
    const body = decodeBody(plain);
    beforeSignature?.(body.certDer);
    if (!verifyIdentity(body.certDer, context, this.transcript.add(body.certBlock).hash(), body.signature)) {
      throw handshakeError(
        `${who}'s signature over the handshake does not verify — the handshake was tampered with`,
      );
    }
    if (!macEquals(confirmationMac(macKey, this.transcript.add(body.signature).hash()), body.mac)) {
      throw handshakeError(`${who}'s key confirmation does not verify — the handshake was tampered with`);
    }
    this.transcript.add(body.mac);
    return body.certDer;
  }

  protected makeSession(peerCertDer: Uint8Array, peerId: string, direction: 'i2r' | 'r2i'): E2ESession {
    const secrets = this.secrets!;
    const transcriptHash = this.transcript.hash();
    const traffic = deriveTrafficSecrets(secrets.handshakeSecret, transcriptHash);
    const session = new E2ESession({
      peerId,
      peerCertDer,
      transcriptHash,
      sendSecret: direction === 'i2r' ? traffic.i2r : traffic.r2i,
      receiveSecret: direction === 'i2r' ? traffic.r2i : traffic.i2r,
      ...(this.opts.session ? { options: this.opts.session } : {}),
    });
    const { handshakeSecret, r2iKey, i2rKey, r2iMacKey, i2rMacKey } = secrets;
    for (const secret of [handshakeSecret, r2iKey, i2rKey, r2iMacKey, i2rMacKey, traffic.i2r, traffic.r2i]) {
      secret.fill(0);
    }
    this.secrets = undefined;
    return session;
  }
}

/** The side that opened the circuit and knows whom it expects. */
export class HandshakeInitiator extends HandshakeParty {
  private readonly expectedPeer: string;

  constructor(opts: InitiatorOptions) {
    super(opts);
    this.expectedPeer = parseFingerprint(opts.expectedPeer);
  }

  /** Produces msg1. */
  start(): Uint8Array {
    this.advance(0, 'start()');
    const msg1 = encodeEphemeralHeader(MessageType.Msg1, this.ephemeralPublic());
    this.transcript.add(msg1);
    this.step = 1;
    return msg1;
  }

  /**
   * Consumes msg2 and returns msg3 (to send) with the established session.
   * @throws ClawError(`FINGERPRINT_MISMATCH`) when the responder is not `expectedPeer`;
   *   ClawError(`HANDSHAKE_FAILED`) for anything malformed, altered or out of order.
   */
  receive(msg2: Uint8Array): { message: Uint8Array; session: E2ESession } {
    this.advance(1, 'receive(msg2)');
    const { header, ephemeral, ciphertext } = decodeMsg2(msg2);
    const shared = this.agree(ephemeral);
    const secrets = deriveHandshakeSecrets(shared, this.transcript.add(header).hash());
    shared.fill(0);
    this.secrets = secrets;
    const plain = openHandshake(secrets.r2iKey, header, ciphertext, 2);
    let peerId = '';
    const peerCert = this.checkIdentity(
      plain,
      RESPONDER_SIGNATURE_CONTEXT,
      secrets.r2iMacKey,
      'peer',
      (der) => {
        // Checked before the signature so a substituted certificate reports the actionable error.
        peerId = fingerprintOfCert(der);
        if (peerId !== this.expectedPeer) {
          throw new ClawError(
            'FINGERPRINT_MISMATCH',
            `peer fingerprint mismatch: expected ${abbreviateFingerprint(this.expectedPeer)}, got ${abbreviateFingerprint(peerId)} — the peer's certificate changed; re-pair or re-approve`,
          );
        }
      },
    );
    const header3 = encodeHeader(MessageType.Msg3);
    this.transcript.add(header3);
    const body = this.proveIdentity(INITIATOR_SIGNATURE_CONTEXT, secrets.i2rMacKey);
    const sealed = sealHandshake(secrets.i2rKey, header3, body);
    const message = new Uint8Array(header3.length + sealed.length);
    message.set(header3, 0);
    message.set(sealed, header3.length);
    const session = this.makeSession(peerCert, peerId, 'i2r');
    this.step = 2;
    return { message, session };
  }
}

/** The side that accepted the circuit; learns who the initiator is and asks `verifyPeer`. */
export class HandshakeResponder extends HandshakeParty {
  private readonly verifyPeer: ResponderOptions['verifyPeer'];

  constructor(opts: ResponderOptions) {
    super(opts);
    this.verifyPeer = opts.verifyPeer;
  }

  /** Consumes msg1 and returns msg2. */
  receive(msg1: Uint8Array): Uint8Array {
    this.advance(0, 'receive(msg1)');
    const { ephemeral } = decodeMsg1(msg1);
    const header = encodeEphemeralHeader(MessageType.Msg2, this.ephemeralPublic());
    const shared = this.agree(ephemeral);
    const secrets = deriveHandshakeSecrets(shared, this.transcript.add(msg1).add(header).hash());
    shared.fill(0);
    this.secrets = secrets;
    const sealed = sealHandshake(
      secrets.r2iKey,
      header,
      this.proveIdentity(RESPONDER_SIGNATURE_CONTEXT, secrets.r2iMacKey),
    );
    const message = new Uint8Array(header.length + sealed.length);
    message.set(header, 0);
    message.set(sealed, header.length);
    this.step = 1;
    return message;
  }

  /**
   * Consumes msg3 and returns the established session once the initiator has proven its identity and
   * `verifyPeer` accepted it.
   * @throws ClawError(`HANDSHAKE_FAILED`), or whatever `verifyPeer` throws.
   */
  finish(msg3: Uint8Array): E2ESession {
    this.advance(1, 'finish(msg3)');
    const secrets = this.secrets!;
    const { header, ciphertext } = decodeMsg3(msg3);
    const plain = openHandshake(secrets.i2rKey, header, ciphertext, 3);
    this.transcript.add(header);
    const peerCert = this.checkIdentity(plain, INITIATOR_SIGNATURE_CONTEXT, secrets.i2rMacKey, 'initiator');
    const peerId = fingerprintOfCert(peerCert);
    this.verifyPeer(peerId, peerCert);
    const session = this.makeSession(peerCert, peerId, 'r2i');
    this.step = 2;
    return session;
  }
}
