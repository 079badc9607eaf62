/**
 * Pairing by code, the joiner's side (architecture.md §Pairing and approval): finds the issuer of a code
 * (the invite's relay, this node's relays, then the LAN), runs CPace keyed by the code over that
 * circuit, waits for the issuer's owner to decide and, once approved, saves the issuer as a peer (the
 * links follow the node state, so it is dialed at once). The issuer's side is pairing-issuer.ts.
 */
import type { Logger } from 'pino';
import type { PairingEvent, PairJoinResult, PairListResult, Permission } from '../api/contract.js';
import { ClawError, isClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { receivedNodeName } from '../core/names.js';
import type { Identity } from '../crypto/identity.js';
import { openDecision } from '../crypto/pairing-decision.js';
import type { PairingResult } from '../crypto/pairing.js';
import { parseCodeOrInvite, type Invite } from '../protocol/pair-code.js';
import type { Circuit } from '../transport/circuit.js';
import { FrameQueue, HeldCircuit } from '../transport/frame-queue.js';
import type { RelayClient } from '../transport/relay-client.js';
import type { NodeState } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import type { PairingProgress } from './pairing-progress.js';
import type { MetCode } from '../links/domain.js';
import {
  CODE_INVALID_LINE,
  encodePairHello,
  PAIR_STEP_TIMEOUT_MS,
  refusalError,
  PAIR_USE,
  rendezvousAlias,
} from '../protocol/pairing-wire.js';
import { pairedPeerRecord } from '../state/pending.js';
import type { PeerRecord, RelaySetting } from '../state/settings.js';

/** Why a join found no issuer when it had no relay to look on (a bare code) and the LAN had none. */
export const NO_PATH_TO_ISSUER_LINE =
  "no relay or LAN path to the issuer; add the issuer's relay, or use the invite link";

export interface PairingJoinerDeps {
  identity: Identity;
  log: Logger;
  state: Pick<NodeState, 'get' | 'peers' | 'addPeer'>;
  notifier: Notifier;
  /** A joiner reaches the relay its invite names on demand, else looks on this node's relays. */
  relays: {
    clients(): RelayClient[];
    acquire(url: string, fingerprint?: string, token?: string): RelayClient;
  };
  lan: { lanPairingAvailable(): boolean; findLanIssuer(tag: string): Promise<Circuit | undefined> };
  progress: PairingProgress;
}

/** One join under way: how to cancel it, and where it stands (its `pairing` events so far, merged). */
interface Join {
  cancel: JoinCancel;
  progress: PairingEvent;
}

export class CodeJoiner {
  /** Joins under way on this node, by code text. */
  private readonly joins = new Map<string, Join>();

  constructor(private readonly deps: PairingJoinerDeps) {}

  private get name(): string {
    return this.deps.state.get().name ?? 'clawbridge';
  }

  /** Joins under way (`pair.list`). */
  list(): PairListResult['joins'] {
    return [...this.joins.values()].map((j) => j.progress);
  }

  /** True when this node is joining with `text` (a code or an invite); `cancel` then stops it. */
  isJoining(text: string): boolean {
    return this.joins.has(parseCodeOrInvite(text).code.text);
  }

  /** Cancels the join with that code: the issuer's request is withdrawn. */
  cancel(text: string): string {
    const { code } = parseCodeOrInvite(text);
    this.joins.get(code.text)?.cancel.cancel();
    return code.text;
  }

  /** Cancels every join under way (the agent is stopping). */
  stop(): void {
    for (const j of this.joins.values()) j.cancel.cancel();
  }

  private step(event: PairingEvent): void {
    const full = this.deps.progress.step(event);
    const join = event.code !== undefined ? this.joins.get(event.code) : undefined;
    if (join) join.progress = { ...join.progress, ...full };
  }

  /**
   * The joiner's side of a successful pairing: the issuer becomes a peer with what the user allowed
   * (`allow`; `defaultAllow` when not given). A node that is already a peer here (paired again after
   * it removed us) keeps the name it has here, its permissions unless `allow` is given, and its limits.
   */
  private addPairedPeer(
    result: PairingResult,
    allow: Permission[] | undefined,
    defaultAllow: readonly Permission[],
    issuerRelay: RelaySetting | undefined,
  ): PeerRecord {
    const state = this.deps.state;
    const paired = pairedPeerRecord(
      state.peers(),
      {
        fingerprint: result.peerFingerprint,
        name: result.peerName,
        addresses: [],
        cert: Buffer.from(result.peerCertDer).toString('base64'),
      },
      allow,
      defaultAllow,
    );
    // The invite's relay is where the issuer waits: its home relay, until its hello says otherwise.
    const homeRelay = issuerRelay ?? paired.homeRelay;
    const record: PeerRecord = { ...paired, ...(homeRelay ? { homeRelay } : {}) };
    state.addPeer(record);
    this.deps.notifier.changed();
    return record;
  }

  /**
   * Joins with `text` (a code or an invite): the issuer becomes a peer allowed `allow`, or
   * `defaultAllow` when not given (nothing; one of the owner's devices joined with `--mine` gets what
   * the owner's introduced devices get, `mineAllow`).
   */
  async join(
    text: string,
    timeoutMs = 10 * 60 * 1000,
    allow?: Permission[],
    defaultAllow: readonly Permission[] = [],
  ): Promise<PairJoinResult> {
    const invite = parseCodeOrInvite(text);
    const code = invite.code.text;
    if (this.joins.has(code))
      throw new ClawError('BAD_ARGUMENT', `already joining with ${code} here; wait for it, or cancel it`);
    const cancel = new JoinCancel();
    this.joins.set(code, { cancel, progress: { role: 'join', code, step: 'finding' } });
    try {
      return await this.joinSteps(invite, timeoutMs, { allow, defaultAllow }, cancel);
    } catch (err) {
      const rejected = isClawError(err, 'PAIRING_REJECTED');
      this.step({
        role: 'join',
        code,
        step: rejected ? 'rejected' : 'failed',
        message: (err as Error).message,
      });
      throw err;
    } finally {
      this.joins.delete(code);
    }
  }

  private async joinSteps(
    invite: Invite,
    timeoutMs: number,
    grant: { allow: Permission[] | undefined; defaultAllow: readonly Permission[] },
    cancel: JoinCancel,
  ): Promise<PairJoinResult> {
    const code = invite.code.text;
    this.step({ role: 'join', code, step: 'finding' });
    const { circuit, queue, result } = await this.pake(invite, cancel, (via) =>
      this.step({ role: 'join', code, step: 'checking', via }),
    );
    this.deps.notifier.notice({
      kind: 'pairing',
      message: `code accepted by ${result.peerName} (${abbreviateFingerprint(result.peerFingerprint)}); waiting for approval`,
    });
    const other = { peerName: result.peerName, fingerprint: result.peerFingerprint };
    this.step({ role: 'join', code, step: 'waiting', ...other });
    let bytes: Uint8Array;
    try {
      bytes = await queue.next(timeoutMs, 'approval');
    } catch (err) {
      circuit.close('gave up waiting');
      if (cancel.cancelled) throw JOIN_CANCELLED();
      if (isClawError(err, 'TIMEOUT')) throw new ClawError('TIMEOUT', 'timed out waiting for approval');
      throw new ClawError(
        'LINK_CLOSED',
        // The relay restarting ends the wait as surely as the issuer leaving: say what is known.
        `lost the connection to ${result.peerName} before it decided (${withoutAlias((err as Error).message, rendezvousAlias(invite.code.tag))}); its request there is withdrawn: pair again with a new code`,
      );
    }
    const decision = openDecision(result.sessionKey, bytes);
    circuit.close('done');
    if (!decision.approved)
      throw new ClawError(
        'PAIRING_REJECTED',
        `rejected by ${decision.name ? receivedNodeName(decision.name) : result.peerName}`,
      );
    const peer = this.addPairedPeer(result, grant.allow, grant.defaultAllow, inviteRelay(invite));
    this.step({ role: 'join', code, step: 'paired', ...other });
    return { name: peer.name, fingerprint: peer.fingerprint, allow: [...peer.allow] };
  }

  /**
   * Finds the issuer of `text` (a code or an invite) and runs the PAKE with it, for a domain's own
   * protocol after it (DomainCodes.meet): nothing is recorded here, and the caller closes the circuit.
   */
  async meet(text: string, use: string): Promise<MetCode> {
    const invite = parseCodeOrInvite(text);
    const { circuit, queue, result, via } = await this.pake(invite, new JoinCancel(), undefined, use);
    return {
      peer: { fingerprint: result.peerFingerprint, name: result.peerName, certDer: result.peerCertDer },
      sessionKey: result.sessionKey,
      via,
      send: (frame) => void circuit.send(frame),
      next: (timeoutMs, what) => queue.next(timeoutMs, what),
      close: (reason) => circuit.close(reason),
    };
  }

  /** The issuer's circuit, found, and the PAKE run on it with the invite's code. */
  private async pake(
    invite: Invite,
    cancel: JoinCancel,
    found: (via: string) => void = () => undefined,
    use = PAIR_USE,
  ): Promise<{ circuit: HeldCircuit; queue: FrameQueue; result: PairingResult; via: string }> {
    const { circuit, via } = await this.findIssuer(invite);
    cancel.hold(circuit);
    found(via);
    const queue = new FrameQueue(circuit);
    // The PAKE (and @noble/curves under it) loads with the first pairing, not with the agent (ADR 0062).
    const { PairingJoiner: PakeJoiner } = await import('../crypto/pairing.js');
    const joiner = new PakeJoiner({
      code: invite.code,
      certDer: this.deps.identity.certDer,
      name: this.name,
    });
    let result: PairingResult;
    try {
      circuit.send(encodePairHello(invite.code.tag, use));
      circuit.send(joiner.start());
      const msg2 = await queue.next(PAIR_STEP_TIMEOUT_MS, 'the issuer’s answer').catch((err: Error) => {
        // An issuer that refuses says why first; one that just closed did not have the code (any more).
        throw isClawError(err, 'LINK_CLOSED') ? new ClawError('BAD_PAIR_CODE', CODE_INVALID_LINE) : err;
      });
      const refused = refusalError(msg2, invite.code.text);
      if (refused) throw refused;
      const step = joiner.receive(msg2);
      circuit.send(step.message);
      // The issuer's name in normal form, as every name from another node (core/names.ts).
      result = { ...step.result, peerName: receivedNodeName(step.result.peerName) };
    } catch (err) {
      if (!circuit.closed && !isClawError(err, 'BAD_PAIR_CODE') && !isClawError(err, 'RELAY_LIMIT'))
        circuit.send(joiner.abort());
      circuit.close('pairing failed');
      throw cancel.cancelled ? JOIN_CANCELLED() : err;
    }
    return { circuit, queue, result, via };
  }

  /**
   * The issuer's circuit and how it was found (`relay ws://…` or `lan`): first the invite's relay,
   * reached on demand when this node is not on it (nothing is saved: docs/relay-protocol.md §Home
   * relays), then this node's own relays, then the LAN.
   */
  private async findIssuer(invite: Invite): Promise<{ circuit: HeldCircuit; via: string }> {
    const alias = rendezvousAlias(invite.code.tag);
    const invited = invite.relayUrl
      ? this.deps.relays.acquire(invite.relayUrl, invite.relayFingerprint, invite.relayToken)
      : undefined;
    // The invite's relay may be one this node is on (another spelling, or the same pin): asked once.
    const relays = [
      ...(invited ? [invited] : []),
      ...this.deps.relays.clients().filter((r) => r !== invited),
    ];
    let lastError: Error | undefined;
    for (const relay of relays) {
      try {
        const circuit = new HeldCircuit(await relay.openCircuit(alias, PAIR_STEP_TIMEOUT_MS));
        return { circuit, via: `relay ${relay.url}` };
      } catch (err) {
        lastError = err as Error;
        if (isClawError(err, 'PEER_OFFLINE')) continue;
      }
    }
    const lan = await this.deps.lan.findLanIssuer(invite.code.tag);
    if (lan) return { circuit: new HeldCircuit(lan), via: 'lan' };
    // With no relay to ask, not finding the code on the LAN says nothing about the code itself.
    if (relays.length === 0) throw new ClawError('PEER_OFFLINE', NO_PATH_TO_ISSUER_LINE);
    if (!lastError || isClawError(lastError, 'PEER_OFFLINE'))
      throw codeNotFound(invite, [
        ...relays.map((r) => r.url),
        ...(this.deps.lan.lanPairingAvailable() ? ['this network'] : []),
      ]);
    throw issuerSearchError(lastError, alias, invite);
  }
}

/** How the joiner's messages name the issuer before it is known: not by the code's rendezvous alias. */
const ISSUER = 'the device that showed the code';

/**
 * A relay's failure while looking for the issuer, in the joiner's words: the relay's messages name the
 * circuit's target, here a rendezvous alias no node has, and say "retrying" though the join has given
 * up; a relay whose certificate is not the invite's gets no hint to pin it (the invite says otherwise).
 */
export function issuerSearchError(err: Error, alias: string, invite: Invite): Error {
  if (!(err instanceof ClawError)) return err;
  if (invite.relayFingerprint && err.code === 'RELAY_FINGERPRINT_MISMATCH') {
    return new ClawError(
      'RELAY_FINGERPRINT_MISMATCH',
      `relay ${invite.relayUrl} does not present the certificate the invite names (${abbreviateFingerprint(invite.relayFingerprint)}): the invite was altered or the relay changed its certificate — ask for a new invite`,
    );
  }
  return new ClawError(err.code, withoutAlias(err.message, alias).replace(/; retrying$/, ''), {
    cause: err,
  });
}

/** `message` with the rendezvous alias (as relay messages abbreviate it) named as the issuer. */
export function withoutAlias(message: string, alias: string): string {
  return message.split(`peer ${abbreviateFingerprint(alias)}`).join(ISSUER);
}

/**
 * Nobody was found waiting for the code. Says where this node looked, because a bare code cannot
 * reach an issuer on a relay this node does not use: only the invite names that relay.
 */
function codeNotFound(invite: Invite, searched: readonly string[]): ClawError {
  const where =
    searched.length > 1 ? `${searched.slice(0, -1).join(', ')} or ${searched.at(-1)}` : searched[0];
  const hint = invite.relayUrl
    ? ' (or its node is offline)'
    : '; if the other node uses another relay, join with the invite link shown with the code';
  return new ClawError('BAD_PAIR_CODE', `${CODE_INVALID_LINE}: no node on ${where} is waiting for it${hint}`);
}

const JOIN_CANCELLED = () => new ClawError('PAIRING_FAILED', 'pairing cancelled on this device');

/** Cancels one join: before the issuer is found, the circuit found is closed at once; after, it is closed. */
class JoinCancel {
  cancelled = false;
  private circuit: HeldCircuit | undefined;

  cancel(): void {
    this.cancelled = true;
    this.circuit?.close('the joiner cancelled');
  }

  /** The join's circuit; closed at once when the join was cancelled while looking for the issuer. */
  hold(circuit: HeldCircuit): void {
    this.circuit = circuit;
    if (this.cancelled) {
      circuit.close('the joiner cancelled');
      throw JOIN_CANCELLED();
    }
  }
}

/** The relay an invite names, as the issuer's home relay on the joiner's new peer record. */
function inviteRelay(invite: Invite): RelaySetting | undefined {
  if (!invite.relayUrl) return undefined;
  return {
    url: invite.relayUrl,
    ...(invite.relayFingerprint ? { fingerprint: invite.relayFingerprint } : {}),
    ...(invite.relayToken ? { token: invite.relayToken } : {}),
  };
}
