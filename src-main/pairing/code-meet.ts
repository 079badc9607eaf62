/**
 * A domain's one-time code met by a node that is no agent (a file offer's, ADR 0124; a shared
 * terminal's link, docs/adr/0123-shared-terminals.md §Link): one relay, the code's rendezvous on it,
 * pairing's hello naming the code's use, CPace keyed by the code with the throwaway identity's
 * certificate, and the issuer's one sealed answer. The same hello, PAKE and refusals as pairing's
 * joiner (pairing-joiner.ts), without the node state and the LAN it needs. What differs between uses
 * — the use, the words, how the answer is opened — is the `spec`; the exchange is this one.
 */
import { ClawError, isClawError } from '../core/errors.js';
import { receivedNodeName } from '../core/names.js';
import type { HandshakeIdentity } from '../crypto/e2e-handshake.js';
import type { PairingResult } from '../crypto/pairing.js';
import { PAIRING_FAILED_LINE } from '../crypto/pairing-messages.js';
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

/** One use of a code, as a throwaway node meets it. */
export interface CodeMeetSpec<Frame> {
  /** The code's use, named in the hello (DomainCodes.issue `use`). */
  readonly use: string;
  /** The issuer as the words name it: `sender`, `sharer`. */
  readonly issuer: string;
  /** Said for a wrong code (the PAKE failed): one try ended it. */
  readonly wrongLine: string;
  /** What the issuer's answer is called in errors (`the offer`). */
  readonly answer: string;
  /** How long the issuer may take to answer after the PAKE, in ms. */
  readonly answerTimeoutMs: number;
  /** Opens the issuer's first sealed frame under the PAKE's session key. @throws when it does not open */
  open(sessionKey: Uint8Array, bytes: Uint8Array, what: string): Frame;
}

/** Who issued the code, as the PAKE proved it, and its answer. */
export interface MetIssuer<Frame> {
  fingerprint: string;
  name: string;
  frame: Frame;
}

/**
 * Finds the issuer of `invite`'s code on `relay`, runs the PAKE as `identity` (named `name`), then
 * reads its answer.
 * @throws ClawError('BAD_PAIR_CODE') for a code nobody waits for (used, expired, mistyped tag);
 *   ClawError('PAIRING_FAILED') for a wrong code; the relay's errors
 */
export async function meetCode<Frame>(
  relay: RelayClient,
  identity: HandshakeIdentity,
  name: string,
  invite: Invite,
  spec: CodeMeetSpec<Frame>,
): Promise<MetIssuer<Frame>> {
  let raw;
  try {
    raw = await relay.openCircuit(rendezvousAlias(invite.code.tag), PAIR_STEP_TIMEOUT_MS);
  } catch (err) {
    if (isClawError(err, 'PEER_OFFLINE'))
      throw new ClawError(
        'BAD_PAIR_CODE',
        `${CODE_INVALID_LINE}: nobody on ${relay.url} is waiting for it (used, expired, cancelled or mistyped); ask the ${spec.issuer} for a new one`,
      );
    // The client's own words name the rendezvous as a peer and say it retries; this command does not.
    if (isClawError(err, 'RELAY_UNREACHABLE') && relay.lastError !== undefined)
      throw new ClawError(
        'RELAY_UNREACHABLE',
        `${relay.lastError.replace(/;? retrying$/, '')}: the code could not be met there`,
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
    circuit.send(encodePairHello(invite.code.tag, spec.use));
    circuit.send(joiner.start());
    const msg2 = await queue.next(PAIR_STEP_TIMEOUT_MS, `the ${spec.issuer}’s answer`).catch((err: Error) => {
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
      throw new ClawError('PAIRING_FAILED', spec.wrongLine);
    throw err;
  }
  const issuer = receivedNodeName(result.peerName);
  try {
    const bytes = await queue.next(spec.answerTimeoutMs, `${spec.answer} from ${issuer}`);
    return {
      fingerprint: result.peerFingerprint,
      name: issuer,
      frame: spec.open(result.sessionKey, bytes, spec.answer),
    };
  } finally {
    circuit.close('done');
  }
}
