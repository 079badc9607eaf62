/**
 * The page meeting a domain's one-time code (a file offer's, a shared terminal's link): the code's
 * rendezvous on the relay, pairing's hello naming the code's use and CPace with a throwaway identity's
 * certificate, then the issuer's one sealed frame, opened with WebCrypto under the direction key the
 * protocol's salt names (as crypto/sealed-frames.ts seals it on the agent). What differs between uses
 * — the use, the marker, salt and frame reader, the words — is the `spec`; the exchange is this one.
 */
import { receivedNodeName } from '../../src-main/core/names.js';
import { codeNamed } from '../../src-main/protocol/pair-code.js';
import { CODE_INVALID_LINE } from '../../src-main/protocol/pairing-wire.js';
import { BrowserNodeError, fromUtf8, utf8 } from './bytes.js';
import { circuitReader, openRendezvous } from './circuit-reader.js';
import type { BrowserIdentity } from './identity.js';
import { pairHello, PAIRING_FAILED_LINE, PairingJoiner, parsePairCode, refusalError } from './pairing.js';
import { aesKey, aesOpen, hkdf, sha512 } from './primitives.js';
import type { RelayConnection } from './relay-connection.js';

/** How long the issuer may take for each step of the PAKE, in ms (pairing-wire.ts PAIR_STEP_TIMEOUT_MS). */
const STEP_TIMEOUT_MS = 15_000;

/** One use of a code, as the page meets it. */
export interface SealedCodeSpec<Frame> {
  /** The code's use, named in the hello (DomainCodes.issue `use`). */
  readonly use: string;
  readonly marker: Uint8Array;
  /** HKDF salt of the direction keys; the issuer's key is derived for `issuerRole`. */
  readonly salt: string;
  readonly issuerRole: string;
  readonly tagBytes: number;
  readonly maxPlain: number;
  nonce(counter: number): Uint8Array;
  read(json: unknown): Frame | undefined;
  /** How long the issuer may take to answer after the PAKE, in ms. */
  readonly readyTimeoutMs: number;
  /** The issuer as the words name it: `sender`, `sharer`. */
  readonly issuer: string;
  /** The code as its holder knows it, in a malformed code's error: `the file code`, `the share code`. */
  readonly codeName: string;
  /** Said for a wrong code (the PAKE failed): one try ended it. */
  readonly wrongLine: string;
}

/** Who issued the code, as the PAKE proved, and its first frame. */
export interface MetIssuer<Frame> {
  fingerprint: string;
  name: string;
  frame: Frame;
}

const failed = (message: string) => new BrowserNodeError('PAIRING_FAILED', message);

/** The issuer's first frame, opened under its direction's key (counter 0). */
async function openIssuerFrame<Frame>(
  spec: SealedCodeSpec<Frame>,
  sessionKey: Uint8Array,
  bytes: Uint8Array,
  what: string,
): Promise<Frame> {
  const { marker, tagBytes } = spec;
  const marked = bytes.length > marker.length && marker.every((b, i) => bytes[i] === b);
  const body = bytes.subarray(marker.length);
  if (!marked || body.length <= tagBytes)
    throw failed(`expected ${what}, and the other side sent something else`);
  if (body.length > spec.maxPlain + tagBytes) throw failed(`${what} is too large`);
  const key = await aesKey(hkdf(sha512, sessionKey, utf8(spec.salt), utf8(spec.issuerRole), 32));
  let plain: Uint8Array;
  try {
    plain = await aesOpen(key, spec.nonce(0), body, marker);
  } catch {
    throw failed(`${what} failed authentication — someone interfered; ask the ${spec.issuer} for a new code`);
  }
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(plain));
  } catch {
    json = undefined;
  }
  const frame = spec.read(json);
  if (!frame) throw failed(`${what} is not a frame this version reads — update both sides`);
  return frame;
}

/**
 * Meets the issuer of `code` on `relay` (at `relayUrl`) as `identity`.
 * @throws (rejects) BrowserNodeError('BAD_PAIR_CODE') for a code nobody waits for (used, expired,
 *   cancelled, mistyped) or one made for another use; ('PAIRING_FAILED') for a wrong code;
 *   ('TIMEOUT') when the issuer does not answer
 */
export async function meetSealedCode<Frame>(
  spec: SealedCodeSpec<Frame>,
  relay: RelayConnection,
  identity: BrowserIdentity,
  relayUrl: string,
  codeText: string,
): Promise<MetIssuer<Frame>> {
  const code = codeNamed(spec.codeName, () => parsePairCode(codeText));
  const circuit = await openRendezvous(relay, code.tag, relayUrl, 'code').catch((err: BrowserNodeError) => {
    throw err.code === 'BAD_PAIR_CODE'
      ? new BrowserNodeError(
          'BAD_PAIR_CODE',
          `${CODE_INVALID_LINE}: nobody on ${relayUrl} is waiting for it (used, expired, cancelled or mistyped); ask the ${spec.issuer} for a new one`,
        )
      : err;
  });
  const next = circuitReader(circuit, {
    failed: CODE_INVALID_LINE,
    timedOut: `the ${spec.issuer} did not answer in time`,
  });
  try {
    const joiner = new PairingJoiner(code, identity.certDer, identity.name);
    circuit.send(pairHello(code.tag, spec.use));
    circuit.send(joiner.start());
    const msg2 = await next(STEP_TIMEOUT_MS);
    const refused = refusalError(msg2, code.text);
    if (refused) throw refused;
    const { message, result } = await joiner.receive(msg2).catch((err: Error) => {
      throw err.message === PAIRING_FAILED_LINE ? failed(spec.wrongLine) : err;
    });
    circuit.send(message);
    const name = receivedNodeName(result.peerName);
    const frame = await openIssuerFrame(
      spec,
      result.sessionKey,
      await next(spec.readyTimeoutMs),
      `the answer from ${name}`,
    );
    result.sessionKey.fill(0);
    return { fingerprint: result.peerFingerprint, name, frame };
  } finally {
    circuit.close('done');
  }
}
