/**
 * The receiver's meeting with a file offer's code (ADR 0124), for a node that is no agent: one relay
 * (the invite's, or the one named), the code's rendezvous on it, CPace keyed by the code with the
 * throwaway identity's certificate, and the sender's sealed answer. The same hello, PAKE and refusals
 * as pairing's joiner (pairing/pairing-joiner.ts), without the node state and the LAN it needs.
 */
import { ClawError, isClawError } from '../core/errors.js';
import { receivedNodeName } from '../core/names.js';
import type { HandshakeIdentity } from '../crypto/e2e-handshake.js';
import type { PairingResult } from '../crypto/pairing.js';
import { PAIRING_FAILED_LINE } from '../crypto/pairing-messages.js';
import { FILE_CODE_USE, FILE_CODE_WRONG_LINE } from '../protocol/file-code-frames.js';
import type { Invite } from '../protocol/pair-code.js';
import {
  CODE_INVALID_LINE,
  encodePairHello,
  PAIR_STEP_TIMEOUT_MS,
  refusalError,
  rendezvousAlias,
} from '../protocol/pairing-wire.js';
import { FrameQueue, HeldCircuit } from '../transport/frame-queue.js';
import type { RelayClient } from '../transport/relay-client.js';
import { FileCodeChannel } from './code-channel.js';
import type { FileCodeFrame } from '../protocol/file-code-frames.js';

/** How long the receiver waits for the sender's `ready` after the PAKE, in ms (it walks the paths first). */
export const READY_TIMEOUT_MS = 120_000;

/** What the meeting gives: who sent, as the PAKE proved, and what is offered. */
export interface MetSender {
  fingerprint: string;
  name: string;
  offer: Extract<FileCodeFrame, { t: 'ready' }>;
}

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
  let raw;
  try {
    raw = await relay.openCircuit(rendezvousAlias(invite.code.tag), PAIR_STEP_TIMEOUT_MS);
  } catch (err) {
    if (isClawError(err, 'PEER_OFFLINE'))
      throw new ClawError(
        'BAD_PAIR_CODE',
        `${CODE_INVALID_LINE}: nobody on ${relay.url} is waiting for it (used, expired, cancelled or mistyped); ask the sender for a new one`,
      );
    throw err;
  }
  const circuit = new HeldCircuit(raw);
  const queue = new FrameQueue(circuit);
  // The PAKE (and @noble/curves under it) loads when a code is met (ADR 0062).
  const { PairingJoiner } = await import('../crypto/pairing.js');
  const joiner = new PairingJoiner({ code: invite.code, certDer: identity.certDer, name });
  let result: PairingResult;
  try {
    circuit.send(encodePairHello(invite.code.tag, FILE_CODE_USE));
    circuit.send(joiner.start());
    const msg2 = await queue.next(PAIR_STEP_TIMEOUT_MS, 'the sender’s answer').catch((err: Error) => {
      throw isClawError(err, 'LINK_CLOSED') ? new ClawError('BAD_PAIR_CODE', CODE_INVALID_LINE) : err;
    });
    const refused = refusalError(msg2, invite.code.text);
    if (refused) throw refused;
    const step = joiner.receive(msg2);
    circuit.send(step.message);
    result = step.result;
  } catch (err) {
    if (!circuit.closed && !isClawError(err, 'BAD_PAIR_CODE')) circuit.send(joiner.abort());
    circuit.close('pairing failed');
    if (err instanceof Error && err.message === PAIRING_FAILED_LINE)
      throw new ClawError('PAIRING_FAILED', FILE_CODE_WRONG_LINE);
    throw err;
  }
  const channel = new FileCodeChannel(result.sessionKey, 'receiver');
  const sender = receivedNodeName(result.peerName);
  try {
    const frame = channel.open(await queue.next(READY_TIMEOUT_MS, `the offer from ${sender}`), 'the offer');
    if (frame.t === 'refused') throw new ClawError('PAIRING_FAILED', `${sender} refused: ${frame.reason}`);
    return { fingerprint: result.peerFingerprint, name: sender, offer: frame };
  } finally {
    circuit.close('done');
  }
}
