/**
 * The receiver's meeting with a file offer's code (ADR 0124), for a node that is no agent: the
 * meeting every code's throwaway node has (pairing/code-meet.ts) with a file offer's use, words and
 * sealed answer (code-channel.ts), and the sender's refusal as an error.
 */
import { ClawError } from '../core/errors.js';
import type { HandshakeIdentity } from '../crypto/e2e-handshake.js';
import { meetCode, type CodeMeetSpec } from '../pairing/code-meet.js';
import { FILE_CODE_USE, FILE_CODE_WRONG_LINE, type FileCodeFrame } from '../protocol/file-code-frames.js';
import type { Invite } from '../protocol/pair-code.js';
import type { RelayClient } from '../transport/relay-client.js';
import { FileCodeChannel } from './code-channel.js';

/** How long the receiver waits for the sender's `ready` after the PAKE, in ms (it walks the paths first). */
export const READY_TIMEOUT_MS = 120_000;

/** What the meeting gives: who sent, as the PAKE proved, and what is offered. */
export interface MetSender {
  fingerprint: string;
  name: string;
  offer: Extract<FileCodeFrame, { t: 'ready' }>;
}

const FILE_CODE_MEET: CodeMeetSpec<FileCodeFrame> = {
  use: FILE_CODE_USE,
  issuer: 'sender',
  wrongLine: FILE_CODE_WRONG_LINE,
  answer: 'the offer',
  answerTimeoutMs: READY_TIMEOUT_MS,
  open: (sessionKey, bytes, what) => new FileCodeChannel(sessionKey, 'receiver').open(bytes, what),
};

/**
 * Finds the code's issuer on `relay`, runs the PAKE as `identity` (named `name`), then reads the
 * sender's answer.
 * @throws ClawError('BAD_PAIR_CODE') for a code nobody waits for (used, expired, mistyped tag);
 *   ClawError('PAIRING_FAILED') for a wrong code or a refused offer; the relay's errors
 */
export async function meetFileCode(
  relay: RelayClient,
  identity: HandshakeIdentity,
  name: string,
  invite: Invite,
): Promise<MetSender> {
  const met = await meetCode(relay, identity, name, invite, FILE_CODE_MEET);
  if (met.frame.t === 'refused')
    throw new ClawError('PAIRING_FAILED', `${met.name} refused: ${met.frame.reason}`);
  return { fingerprint: met.fingerprint, name: met.name, offer: met.frame };
}
