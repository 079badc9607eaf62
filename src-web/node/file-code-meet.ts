/**
 * The page's meeting with a file offer's code (ADR 0124), as `file receive` meets it
 * (files/code-meet.ts): the exchange every code of the page has (sealed-code-meet.ts: the code's
 * rendezvous on the relay, pairing's hello with use `file` and CPace with a throwaway identity's
 * certificate), then the sender's one sealed frame — `ready` with what is offered, or `refused` —
 * opened under the keys protocol/file-code-frames.ts names.
 */
import {
  FILE_CODE_KEY_SALT,
  FILE_CODE_MARKER,
  FILE_CODE_TAG_BYTES,
  FILE_CODE_USE,
  FILE_CODE_WRONG_LINE,
  fileCodeInvite,
  fileCodeNonce,
  MAX_FILE_CODE_FRAME_PLAIN,
  readFileCodeFrame,
  type FileCodeFrame,
} from '../../src-main/protocol/file-code-frames.js';
import { BrowserNodeError } from './bytes.js';
import type { BrowserIdentity } from './identity.js';
import type { RelayConnection } from './relay-connection.js';
import { meetSealedCode, type SealedCodeSpec } from './sealed-code-meet.js';

/** A file offer's code as the page meets it. */
const FILE_CODE_SPEC: SealedCodeSpec<FileCodeFrame> = {
  use: FILE_CODE_USE,
  marker: FILE_CODE_MARKER,
  salt: FILE_CODE_KEY_SALT,
  issuerRole: 'sender',
  tagBytes: FILE_CODE_TAG_BYTES,
  maxPlain: MAX_FILE_CODE_FRAME_PLAIN,
  nonce: fileCodeNonce,
  read: readFileCodeFrame,
  // code-meet.ts READY_TIMEOUT_MS: the sender walks the paths first.
  readyTimeoutMs: 120_000,
  issuer: 'sender',
  codeName: 'the file code',
  wrongLine: FILE_CODE_WRONG_LINE,
};

/** Who sent, as the PAKE proved, and what is offered. */
export interface MetSender {
  fingerprint: string;
  name: string;
  offer: Extract<FileCodeFrame, { t: 'ready' }>;
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
  const code = fileCodeInvite(codeOrLink.replace(/^#?receive=/, ''));
  const met = await meetSealedCode(FILE_CODE_SPEC, relay, identity, relayUrl, code);
  if (met.frame.t === 'refused')
    throw new BrowserNodeError('PAIRING_FAILED', `${met.name} refused: ${met.frame.reason}`);
  return { fingerprint: met.fingerprint, name: met.name, offer: met.frame };
}
