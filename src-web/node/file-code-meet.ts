/**
 * The page's meeting with a file offer's code (ADR 0124), as `file receive` meets it
 * (files/code-meet.ts): the code's rendezvous on the relay, the same hello (use `file`) and CPace as
 * pairing's joiner with a throwaway identity's certificate, then the sender's one sealed frame —
 * `ready` with what is offered, or `refused` — opened with WebCrypto under the keys
 * protocol/file-code-frames.ts names (as group-invitation.ts opens an invitation's frames).
 */
import { receivedNodeName } from '../../src-main/core/names.js';
import {
  FILE_CODE_KEY_SALT,
  FILE_CODE_MARKER as MARKER,
  FILE_CODE_TAG_BYTES as TAG_BYTES,
  FILE_CODE_USE,
  FILE_CODE_WRONG_LINE,
  fileCodeInvite,
  fileCodeNonce,
  MAX_FILE_CODE_FRAME_PLAIN,
  readFileCodeFrame,
  type FileCodeFrame,
} from '../../src-main/protocol/file-code-frames.js';
import { CODE_INVALID_LINE } from '../../src-main/protocol/pairing-wire.js';
import { BrowserNodeError, fromUtf8, utf8 } from './bytes.js';
import { circuitReader, openRendezvous } from './circuit-reader.js';
import type { BrowserIdentity } from './identity.js';
import { pairHello, PAIRING_FAILED_LINE, PairingJoiner, parsePairCode, refusalError } from './pairing.js';
import { aesKey, aesOpen, hkdf, sha512 } from './primitives.js';
import type { RelayConnection } from './relay-connection.js';

/** How long the sender may take for each step of the PAKE, in ms (pairing-wire.ts PAIR_STEP_TIMEOUT_MS). */
const STEP_TIMEOUT_MS = 15_000;
/** How long the sender may take to answer after the PAKE, in ms (code-meet.ts READY_TIMEOUT_MS: it walks the paths first). */
const READY_TIMEOUT_MS = 120_000;

/** Who sent, as the PAKE proved, and what is offered. */
export interface MetSender {
  fingerprint: string;
  name: string;
  offer: Extract<FileCodeFrame, { t: 'ready' }>;
}

const failed = (message: string) => new BrowserNodeError('PAIRING_FAILED', message);

/** The sender's frame, opened under its direction's key (its first frame: counter 0). */
async function openSenderFrame(
  sessionKey: Uint8Array,
  bytes: Uint8Array,
  what: string,
): Promise<FileCodeFrame> {
  const marked = bytes.length > MARKER.length && MARKER.every((b, i) => bytes[i] === b);
  const body = bytes.subarray(MARKER.length);
  if (!marked || body.length <= TAG_BYTES)
    throw failed(`expected ${what}, and the other side sent something else`);
  if (body.length > MAX_FILE_CODE_FRAME_PLAIN + TAG_BYTES) throw failed(`${what} is too large`);
  const key = await aesKey(hkdf(sha512, sessionKey, utf8(FILE_CODE_KEY_SALT), utf8('sender'), 32));
  let plain: Uint8Array;
  try {
    plain = await aesOpen(key, fileCodeNonce(0), body, MARKER);
  } catch {
    throw failed(`${what} failed authentication — someone interfered; ask the sender for a new code`);
  }
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(plain));
  } catch {
    json = undefined;
  }
  const frame = readFileCodeFrame(json);
  if (!frame) throw failed(`${what} is not a frame this version reads — update both sides`);
  return frame;
}

/**
 * Meets the sender of `codeOrLink` (a code, the sender's `clawbridge://file?invite=…` link or the
 * page's `#receive=…`) on `relay` as `identity`.
 * @throws (rejects) BrowserNodeError('BAD_PAIR_CODE') for a code nobody waits for (used, expired,
 *   cancelled, mistyped) or one made for another command; ('PAIRING_FAILED') for a wrong code or a
 *   refused offer; ('TIMEOUT') when the sender does not answer
 */
export async function meetFileCode(
  relay: RelayConnection,
  identity: BrowserIdentity,
  relayUrl: string,
  codeOrLink: string,
): Promise<MetSender> {
  const code = parsePairCode(fileCodeInvite(codeOrLink.replace(/^#?receive=/, '')));
  const circuit = await openRendezvous(relay, code.tag, relayUrl, 'code').catch((err: BrowserNodeError) => {
    throw err.code === 'BAD_PAIR_CODE'
      ? new BrowserNodeError(
          'BAD_PAIR_CODE',
          `${CODE_INVALID_LINE}: nobody on ${relayUrl} is waiting for it (used, expired, cancelled or mistyped); ask the sender for a new one`,
        )
      : err;
  });
  const next = circuitReader(circuit, {
    failed: CODE_INVALID_LINE,
    timedOut: 'the sender did not answer in time',
  });
  try {
    const joiner = new PairingJoiner(code, identity.certDer, identity.name);
    circuit.send(pairHello(code.tag, FILE_CODE_USE));
    circuit.send(joiner.start());
    const msg2 = await next(STEP_TIMEOUT_MS);
    const refused = refusalError(msg2, code.text);
    if (refused) throw refused;
    const { message, result } = await joiner.receive(msg2).catch((err: Error) => {
      throw err.message === PAIRING_FAILED_LINE ? failed(FILE_CODE_WRONG_LINE) : err;
    });
    circuit.send(message);
    const sender = receivedNodeName(result.peerName);
    const frame = await openSenderFrame(
      result.sessionKey,
      await next(READY_TIMEOUT_MS),
      `the offer from ${sender}`,
    );
    result.sessionKey.fill(0);
    if (frame.t === 'refused') throw failed(`${sender} refused: ${frame.reason}`);
    return { fingerprint: result.peerFingerprint, name: sender, offer: frame };
  } finally {
    circuit.close('done');
  }
}
