/**
 * Pairing by code from the browser: the joiner's side of docs/protocol.md §Pairing by code. The
 * protocol is the agent's own, imported (ADR 0116): the code and its alias (protocol/pair-code.ts,
 * rendezvous.ts), the hello and refusals (pairing-wire.ts), CPace (crypto/cpace.ts), the messages
 * (pairing-messages.ts), the keys and transcript (pairing-keys.ts) and the decision record
 * (pairing-decision-format.ts). What is the browser's own: checking the issuer's certificate and
 * opening the decision with WebCrypto. The relay sees the tag, the two certificates and names; not the
 * secret, not the decision.
 */
import { randomBytes } from './bytes.js';
import { publicKeyOfCert } from './certificate.js';
import { aesKey, aesOpen, fingerprintOf, hmac, sha512 } from './primitives.js';
import { cpaceIsk, cpaceMessage, type CpaceShare } from '../../src-main/crypto/cpace.js';
import {
  DECISION_FORGED_LINE,
  decisionKey,
  decisionNonce,
  parseDecision,
  readDecisionRecord,
  type PairDecision,
} from '../../src-main/crypto/pairing-decision-format.js';
import {
  derivePairingKeys,
  macMatches,
  pairingCi,
  pairingPrs,
  pairingTranscript,
} from '../../src-main/crypto/pairing-keys.js';
import {
  abortError,
  AbortReason,
  decodePairMessage,
  encodeAd,
  encodeMsg1,
  encodeMsg3,
  PAIR_SID_BYTES,
  PAIRING_FAILED_LINE,
  PairingError,
} from '../../src-main/crypto/pairing-messages.js';
import { parsePairCode as parseCode, type PairCode } from '../../src-main/protocol/pair-code.js';

export { PAIRING_FAILED_LINE, type PairCode, type PairDecision };
export { encodePairHello as pairHello, refusalError } from '../../src-main/protocol/pairing-wire.js';
export { rendezvousAlias } from '../../src-main/protocol/rendezvous.js';

/**
 * Reads a code as typed (pair-code.ts: case-insensitive, I and L as 1, O as 0, spaces and dashes
 * ignored), or a link whose `invite` parameter is the code: the page's own `#join?invite=…` as well as
 * the app's `clawbridge://join?invite=…`. @throws ClawError('BAD_PAIR_CODE').
 */
export function parsePairCode(input: string): PairCode {
  const invite = input.length <= 2048 ? /[?&]invite=([^&#]+)/.exec(input) : null;
  return parseCode(invite ? decodeURIComponent(invite[1]!) : input);
}

export interface JoinResult {
  peerCertDer: Uint8Array;
  peerFingerprint: string;
  peerName: string;
  sessionKey: Uint8Array;
}

/**
 * The joiner's CPace. `start()` gives msg1; `receive(msg2)` checks the issuer's proof and gives msg3
 * with the result. @throws ClawError('PAIRING_FAILED') for a wrong code, interference, an abort from
 * the issuer or anything malformed.
 */
export class PairingJoiner {
  private readonly sid = randomBytes(PAIR_SID_BYTES);
  private share: CpaceShare | undefined;

  constructor(
    private readonly code: PairCode,
    private readonly certDer: Uint8Array,
    private readonly name: string,
  ) {}

  start(): Uint8Array {
    const ad = encodeAd(this.certDer, this.name);
    this.share = cpaceMessage(pairingPrs(this.code), pairingCi(this.code.tag), this.sid, ad);
    return encodeMsg1(this.sid, this.share.msg);
  }

  async receive(msg2: Uint8Array): Promise<{ message: Uint8Array; result: JoinResult }> {
    const m = decodePairMessage(msg2);
    if (m.type === 'abort') throw abortError(m.reason);
    if (m.type !== 'msg2' || !this.share)
      throw new PairingError(`expected pairing msg2, got ${m.type}`, AbortReason.Malformed);
    const share = this.share;
    const isk = cpaceIsk({ sid: this.sid, y: share.y, peerY: m.Y, msgA: share.msg, msgB: m.msg });
    share.y.fill(0);
    const keys = derivePairingKeys(isk);
    isk.fill(0);
    const transcript = pairingTranscript(this.sid, share.msg, m.msg);
    if (!macMatches(hmac(sha512, keys.issuerConfirm, transcript), m.mac)) {
      throw new PairingError(PAIRING_FAILED_LINE, AbortReason.Failed);
    }
    // The issuer's certificate must be one links can use: an X.509 certificate with a P-256 key.
    await publicKeyOfCert(m.certDer).catch(() => {
      throw new PairingError(
        'pairing failed: the other node sent a certificate that is not an ECDSA P-256 X.509 certificate',
        AbortReason.Malformed,
      );
    });
    const message = encodeMsg3(hmac(sha512, keys.joinerConfirm, transcript));
    keys.issuerConfirm.fill(0);
    keys.joinerConfirm.fill(0);
    const result = {
      peerCertDer: m.certDer,
      peerFingerprint: fingerprintOf(m.certDer),
      peerName: m.name,
      sessionKey: keys.sessionKey,
    };
    return { message, result };
  }
}

/** Opens the issuer's sealed decision (docs/protocol.md §Decision record) with WebCrypto. */
export async function openDecision(sessionKey: Uint8Array, bytes: Uint8Array): Promise<PairDecision> {
  const record = readDecisionRecord(bytes);
  const key = await aesKey(decisionKey(sessionKey));
  let plain: Uint8Array;
  try {
    plain = await aesOpen(key, decisionNonce('issuer'), record.sealed, record.header);
  } catch {
    throw new PairingError(DECISION_FORGED_LINE, AbortReason.Failed);
  }
  return parseDecision(plain);
}
