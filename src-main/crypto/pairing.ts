/**
 * Pairing by code (architecture.md §Pairing and approval; docs/protocol.md, "Pairing by code"): CPace (cpace.ts) keyed by the code's
 * secret, in the draft's initiator-responder setting, followed by explicit key confirmation:
 *
 *   msg1 J→I  sid, MSGa = (Ya, ADa = (cert_J, name_J))
 *   msg2 I→J  MSGb = (Yb, ADb = (cert_I, name_I)), MACb
 *   msg3 J→I  MACa
 *
 * The joiner (J) typed the code; the issuer (I) showed it. Both certificates are in the AD, so inside
 * ISK: a relay that swaps either certificate, or a joiner with the wrong code, makes ISK differ and the
 * MACs fail on both sides (the joiner at msg2, the issuer because msg3 fails or an ABORT arrives). After
 * success the issuer's owner approves or rejects; that answer travels sealed under a key from ISK
 * (sealDecision / openDecision) so the relay cannot forge it.
 *
 * Pure state machines, no I/O: the caller moves bytes, bounds time, and burns the code after the first
 * msg1 whatever the outcome (one online guess per code).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ClawError } from '../core/errors.js';
import type { PairCode } from '../protocol/pair-code.js';
import { cpaceIsk, cpaceMessage, type CpaceShare } from './cpace.js';
import { derivePairingKeys, macMatches, pairingCi, pairingPrs, pairingTranscript } from './pairing-keys.js';
import {
  abortError,
  AbortReason,
  decodePairMessage,
  encodeAbort,
  encodeAd,
  encodeMsg1,
  encodeMsg2,
  encodeMsg3,
  PAIR_SID_BYTES,
  PAIRING_FAILED_LINE,
  PairingError,
  type PairMessage,
} from './pairing-messages.js';
import { fingerprintOfCert } from './signature.js';

export { derivePairingKeys, pairingCi, pairingPrs, pairingTranscript } from './pairing-keys.js';

/** This node as pairing needs it: its certificate (the private key is not used here) and its name. */
export interface PairingOptions {
  code: PairCode;
  certDer: Uint8Array;
  /** Node name shown to the other side, 1 to 64 bytes of UTF-8. */
  name: string;
  /** Fixed CPace scalar: for tests only, never in production. */
  scalar?: Uint8Array;
}

export interface JoinerOptions extends PairingOptions {
  /** Fixed sid: for tests only, never in production. */
  sid?: Uint8Array;
}

/** What both sides hold once key confirmation succeeded. */
export interface PairingResult {
  /** The other node's certificate DER, proven to come from whoever holds the code. */
  peerCertDer: Uint8Array;
  /** SHA-256 of `peerCertDer`, 64 lowercase hex: the new peer's node ID. */
  peerFingerprint: string;
  /** The name the other node announced. */
  peerName: string;
  /** 32 bytes derived from ISK, equal on both sides; keys sealDecision/openDecision. */
  sessionKey: Uint8Array;
}

/** Checks an authenticated peer certificate: readable X.509 with a P-256 key, as links will need. */
function checkPeerCert(certDer: Uint8Array): void {
  let ok = false;
  try {
    const key = new X509Certificate(certDer).publicKey;
    ok = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new PairingError(
      'pairing failed: the other node sent a certificate that is not an ECDSA P-256 X.509 certificate — update both nodes',
      AbortReason.Malformed,
    );
  }
}

/** Shared base: code, own AD, one-way state and the ABORT to send after a failure. */
abstract class PairingParty {
  protected readonly prs: Uint8Array;
  protected readonly ci: Uint8Array;
  protected readonly ad: Uint8Array;
  protected step = 0;
  private failure: AbortReason | undefined;

  constructor(protected readonly opts: PairingOptions) {
    this.prs = pairingPrs(opts.code);
    this.ci = pairingCi(opts.code.tag);
    this.ad = encodeAd(opts.certDer, opts.name); // validates certificate size and name at construction
  }

  /** Runs step `from` → `from + 1`; any failure leaves the party failed and remembers why. */
  protected run<T>(from: number, what: string, body: () => T): T {
    if (this.step !== from) {
      const state = this.step < 0 ? 'after pairing failed' : 'out of order';
      this.fail(AbortReason.Malformed);
      throw new PairingError(`${what} called ${state}`, AbortReason.Malformed);
    }
    this.step = -1;
    try {
      const out = body();
      this.step = from + 1;
      return out;
    } catch (err) {
      this.fail(err instanceof PairingError ? err.abortReason : AbortReason.Failed);
      if (err instanceof ClawError) throw err;
      throw new PairingError(PAIRING_FAILED_LINE, AbortReason.Failed, { cause: err });
    }
  }

  private fail(reason: AbortReason): void {
    this.step = -1;
    this.failure ??= reason;
  }

  /** Decodes `bytes` as the message expected now; an ABORT from the other side throws its line. */
  protected expect<K extends PairMessage['type']>(
    bytes: Uint8Array,
    type: K,
  ): Extract<PairMessage, { type: K }> {
    const message = decodePairMessage(bytes);
    if (message.type === 'abort') throw abortError(message.reason);
    if (message.type !== type) {
      throw new PairingError(`expected pairing ${type}, got ${message.type}`, AbortReason.Malformed);
    }
    return message as Extract<PairMessage, { type: K }>;
  }

  /**
   * The ABORT message to send the other side: after a failure it carries the reason; before one it
   * cancels (and this party stops). Safe to send more than once.
   */
  abort(): Uint8Array {
    if (this.step !== -1 || this.failure === undefined) this.fail(AbortReason.Cancelled);
    return encodeAbort(this.failure ?? AbortReason.Cancelled);
  }

  /** Derives ISK, the keys and T. `mine`/`theirs` in protocol order via msgA/msgB. */
  protected keys(sid: Uint8Array, own: CpaceShare, peerY: Uint8Array, msgA: Uint8Array, msgB: Uint8Array) {
    const isk = cpaceIsk({ sid, y: own.y, peerY, msgA, msgB });
    own.y.fill(0); // the scalar is used once
    const keys = derivePairingKeys(isk);
    isk.fill(0);
    return { ...keys, transcript: pairingTranscript(sid, msgA, msgB) };
  }
}

/** The node that typed the code (CPace initiator A). */
export class PairingJoiner extends PairingParty {
  private readonly sid: Uint8Array;
  private share: CpaceShare | undefined;

  constructor(opts: JoinerOptions) {
    super(opts);
    if (opts.sid !== undefined && opts.sid.length !== PAIR_SID_BYTES) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `pairing sid must be ${PAIR_SID_BYTES} bytes, got ${opts.sid.length}`,
      );
    }
    // The draft's fallback when sid cannot be built from both sides' randomness before msg1: the
    // initiator picks a fresh random sid and sends it with its first message.
    this.sid = opts.sid?.slice() ?? new Uint8Array(randomBytes(PAIR_SID_BYTES));
  }

  /** Produces msg1. */
  start(): Uint8Array {
    return this.run(0, 'start()', () => {
      this.share = cpaceMessage(this.prs, this.ci, this.sid, this.ad, this.opts.scalar);
      return encodeMsg1(this.sid, this.share.msg);
    });
  }

  /**
   * Consumes msg2; returns msg3 (to send) and the result once the issuer has proven the code.
   * @throws ClawError(`PAIRING_FAILED`): wrong code or interference (PAIRING_FAILED_LINE), an ABORT from
   *   the issuer, a malformed message or a low-order key. Then send `abort()`.
   */
  receive(msg2: Uint8Array): { message: Uint8Array; result: PairingResult } {
    return this.run(1, 'receive(msg2)', () => {
      const m = this.expect(msg2, 'msg2');
      const share = this.share!;
      const k = this.keys(this.sid, share, m.Y, share.msg, m.msg);
      if (!macMatches(hmac(sha512, k.issuerConfirm, k.transcript), m.mac)) {
        throw new PairingError(PAIRING_FAILED_LINE, AbortReason.Failed);
      }
      checkPeerCert(m.certDer);
      const message = encodeMsg3(hmac(sha512, k.joinerConfirm, k.transcript));
      k.issuerConfirm.fill(0);
      k.joinerConfirm.fill(0);
      return { message, result: resultOf(m.certDer, m.name, k.sessionKey) };
    });
  }
}

/** The node that showed the code (CPace responder B). */
export class PairingIssuer extends PairingParty {
  private pending: { expectedMac: Uint8Array; result: PairingResult } | undefined;

  /**
   * Consumes msg1 and returns msg2. The caller burns the code now, whatever happens next.
   * @throws ClawError(`PAIRING_FAILED`) for a malformed msg1, an ABORT or a low-order key.
   */
  receive(msg1: Uint8Array): Uint8Array {
    return this.run(0, 'receive(msg1)', () => {
      const m = this.expect(msg1, 'msg1');
      // Responder: the generator is computed only once MSGa arrived (draft, initiator-responder note).
      const share = cpaceMessage(this.prs, this.ci, m.sid, this.ad, this.opts.scalar);
      const k = this.keys(m.sid, share, m.Y, m.msg, share.msg);
      const macB = hmac(sha512, k.issuerConfirm, k.transcript);
      this.pending = {
        expectedMac: hmac(sha512, k.joinerConfirm, k.transcript),
        result: resultOf(m.certDer, m.name, k.sessionKey),
      };
      k.issuerConfirm.fill(0);
      k.joinerConfirm.fill(0);
      return encodeMsg2(share.msg, macB);
    });
  }

  /**
   * Consumes msg3 and returns the result once the joiner has proven the code.
   * @throws ClawError(`PAIRING_FAILED`): wrong code or interference (PAIRING_FAILED_LINE), or an ABORT
   *   from the joiner with its line.
   */
  finish(msg3: Uint8Array): PairingResult {
    return this.run(1, 'finish(msg3)', () => {
      const pending = this.pending!;
      this.pending = undefined;
      const m = this.expect(msg3, 'msg3');
      if (!macMatches(pending.expectedMac, m.mac)) {
        pending.result.sessionKey.fill(0);
        throw new PairingError(PAIRING_FAILED_LINE, AbortReason.Failed);
      }
      checkPeerCert(pending.result.peerCertDer);
      return pending.result;
    });
  }
}

function resultOf(certDer: Uint8Array, name: string, sessionKey: Uint8Array): PairingResult {
  return { peerCertDer: certDer, peerFingerprint: fingerprintOfCert(certDer), peerName: name, sessionKey };
}
