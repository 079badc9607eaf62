/**
 * Pairing by code, the agent's side (architecture.md §Pairing and approval). The issuer shows a one-time code and listens for it
 * on its relays under a rendezvous alias derived from the code's tag; the joiner opens a circuit to
 * that alias and both run CPace (crypto/pairing.ts) keyed by the code's secret, with both certificates
 * bound into the transcript. The issuer's owner then approves or rejects; the sealed decision goes back
 * over the same circuit. The relay sees the tag, the certificates and ciphertext, never the secret.
 */
import { ClawError, isClawError } from '../core/errors.js';
import { hereHint } from '../core/hint.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { openDecision, sealDecision } from '../crypto/pairing-decision.js';
import { PairingIssuer, PairingJoiner, type PairingResult } from '../crypto/pairing.js';
import {
  encodeInvite,
  generatePairCode,
  parseCodeOrInvite,
  type Invite,
  type PairCode,
} from '../protocol/pair-code.js';
import type { Circuit } from '../transport/circuit.js';
import { FrameQueue, HeldCircuit } from '../transport/frame-queue.js';
import type {
  PairingEvent,
  PairJoinResult,
  PairListResult,
  PairNewResult,
  Permission,
} from '../api/contract.js';
import { Emitter } from '../core/emitter.js';
import type { Decision } from './approvals.js';
import {
  CODE_INVALID_LINE,
  encodePairHello,
  encodeRefusal,
  isPairHello,
  lanPairArgs,
  PAIR_STEP_TIMEOUT_MS,
  pairHelloTag,
  refusalError,
  rendezvousAlias,
  type PairingSource,
  type PairRefusal,
} from './pairing-wire.js';
import type { PairingDeps } from './ports.js';
import type { PeerRecord, RelaySetting } from './settings.js';
import { pairedPeerRecord, sourceOf, unrecordedLine } from './pending.js';
import { addressBlock } from '../core/address-block.js';
import { AttemptLimiter } from '../core/attempt-limiter.js';
import type { Duplex } from 'node:stream';
import type { Link } from '../transport/link.js';
import { streamCircuit } from '../transport/stream-circuit.js';

/** Default lifetime of a code, in ms (architecture.md §Pairing and approval: 10 minutes). */
export const PAIR_CODE_TTL_MS = 10 * 60 * 1000;
/** Most codes one node has open at once (each is one relay alias). */
export const MAX_ACTIVE_CODES = 8;
/**
 * Most pairing attempts this node answers per minute from one source (a node on the relay, an IP on the
 * LAN). Counted per source, not for the whole node: a global count let 25 junk hellos from one stranger
 * lock everyone out. A wrong tag costs nothing but a lookup; a right one burns its code (one guess per
 * code), so the total work stays bounded by the open codes without a node-wide cap.
 */
export const PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE = 5;
/** Why a join found no issuer when it had no relay to look on (a bare code) and the LAN had none. */
export const NO_PATH_TO_ISSUER_LINE =
  "no relay or LAN path to the issuer; add the issuer's relay, or use the invite link";

interface ActiveCode {
  code: PairCode;
  expiresAt: number;
  timer: NodeJS.Timeout;
  /** What `pair.new` answered, for `pair.list`. */
  shown: PairNewResult;
}

interface Waiting {
  circuit: Circuit;
  sessionKey: Uint8Array;
}

export class Pairing {
  private readonly codes = new Map<string, ActiveCode>();
  /** Joiners that passed the PAKE and wait for the owner's decision, by fingerprint. */
  private readonly waiting = new Map<string, Waiting>();
  private readonly attempts = new AttemptLimiter(PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE, 60_000);
  /** Code text of the joiners waiting for a decision, by fingerprint: their progress events name it. */
  private readonly waitingCodes = new Map<string, string>();
  /** Joins under way on this node, by code text: each entry cancels its join. */
  private readonly joins = new Map<string, () => void>();
  /** Where each join under way stands: its `pairing` events so far, merged (for `pair.list`). */
  private readonly joinState = new Map<string, PairingEvent>();
  /** Each step of every pairing, for the window's live progress (API event `pairing`). */
  readonly progress = new Emitter<{ step: [PairingEvent] }>();

  constructor(private readonly deps: PairingDeps) {
    deps.approvals.onDecision = (d) => this.answer(d);
  }

  // ---- issuer ----

  newCode(ttlMs = PAIR_CODE_TTL_MS): PairNewResult {
    const relays = this.deps.relays.relayClients();
    if (relays.length === 0 && !this.deps.lan.lanPairingAvailable()) {
      const listen = this.deps.lan.listenAddress;
      throw new ClawError(
        'BAD_ARGUMENT',
        listen === null
          ? 'this node has no relay, and no direct listener (it runs with --no-direct) to meet a joiner on the LAN: start the agent with --relay URL, or without --no-direct'
          : `this node has no relay, and its direct listener (${listen}) is not announced on the LAN (it is a loopback address, or LAN discovery is off): start the agent with --relay URL, or with --listen on an address the LAN reaches (e.g. 0.0.0.0:7475)`,
      );
    }
    if (this.codes.size >= MAX_ACTIVE_CODES) {
      throw new ClawError(
        'RELAY_LIMIT',
        `already ${MAX_ACTIVE_CODES} codes open (pair list shows them); use one, wait for them to expire, or cancel one`,
        { hint: hereHint(['pair', 'cancel', 'CODE']) },
      );
    }
    const code = generatePairCode();
    const alias = rendezvousAlias(code.tag);
    const expiresAt = Date.now() + ttlMs;
    const timer = setTimeout(() => this.retire(code.tag), ttlMs);
    timer.unref();
    const first = this.deps.relays.savedRelays()[0];
    const invite: Invite = {
      code,
      ...(first ? { relayUrl: first.url } : {}),
      ...(first?.fingerprint ? { relayFingerprint: first.fingerprint } : {}),
      ...(first?.token ? { relayToken: first.token } : {}),
    };
    const shown = {
      code: code.text,
      invite: encodeInvite(invite),
      expiresAt: new Date(expiresAt).toISOString(),
    };
    // Open before it is announced: the LAN announcement lists the open codes' tags.
    this.codes.set(code.tag, { code, expiresAt, timer, shown });
    for (const r of relays) r.listenAlias(alias);
    this.deps.lan.lanTagsChanged();
    this.deps.notifier.changed();
    return shown;
  }

  /** Codes nobody has used yet, newest first, and joins under way (`pair.list`). */
  list(): PairListResult {
    return {
      codes: [...this.codes.values()].map((c) => c.shown).reverse(),
      joins: [...this.joinState.values()],
    };
  }

  /**
   * Retires an open code at the owner's request (`pair.cancel`): nobody can use it any more. For a code
   * this node is joining with, cancels the join instead: the issuer's request is withdrawn.
   * @throws ClawError('BAD_PAIR_CODE') when it is neither an open code nor a join under way here.
   */
  cancel(text: string): string {
    const { code } = parseCodeOrInvite(text);
    const join = this.joins.get(code.text);
    if (join) {
      join();
      return code.text;
    }
    const active = this.codes.get(code.tag);
    if (!active || active.code.text !== code.text) {
      throw new ClawError(
        'BAD_PAIR_CODE',
        `${code.text} is not an open code of this node (used up, expired or cancelled)`,
      );
    }
    this.retire(code.tag);
    this.deps.notifier.changed();
    return code.text;
  }

  private step(event: PairingEvent): void {
    const full = { ownFingerprint: this.deps.node.identity.fingerprint, ...event };
    if (event.role === 'join' && event.code !== undefined && this.joins.has(event.code)) {
      this.joinState.set(event.code, { ...this.joinState.get(event.code), ...full });
    }
    this.progress.emit('step', full);
  }

  /** Tags of codes open right now (for LAN announcements). */
  activeTags(): string[] {
    return [...this.codes.keys()];
  }

  /** Forgets a code: expired or used (a code is single use, whatever the outcome). */
  private retire(tag: string): void {
    const active = this.codes.get(tag);
    if (!active) return;
    clearTimeout(active.timer);
    this.codes.delete(tag);
    for (const r of this.deps.relays.relayClients()) r.unlistenAlias(rendezvousAlias(tag));
    this.deps.lan.lanTagsChanged();
  }

  /** A `pair` stream on a LAN link (pending-links.ts): the same exchange as over a relay circuit. */
  async acceptLanPairing(stream: Duplex, link: Link, args: unknown): Promise<void> {
    const parsed = lanPairArgs.safeParse(args);
    if (!parsed.success) return void stream.destroy();
    const held = new HeldCircuit(
      streamCircuit(stream, { peerId: link.peerId, remote: link.remote, initiator: false }),
    );
    const closed = new Promise<void>((resolve) => held.onClose(() => resolve()));
    try {
      const hello = await held.first(PAIR_STEP_TIMEOUT_MS);
      if (!isPairHello(hello)) return held.close('expected a pairing hello');
      const source = {
        address: link.remote,
        limitKey: `ip:${addressBlock(sourceOf(link.remote) ?? link.remote)}`,
      };
      await this.acceptPairing(held, hello, source, parsed.data.addresses);
    } catch (err) {
      this.deps.log.info({ remote: link.remote }, `LAN pairing ended: ${(err as Error).message}`);
      held.close('pairing failed');
    }
    await closed;
  }

  /** An incoming circuit whose first frame is a pairing hello (the joiner's side spoke first). */
  async acceptPairing(
    held: HeldCircuit,
    hello: Uint8Array,
    from: PairingSource,
    addresses: string[] = [],
  ): Promise<void> {
    const source = from.address;
    const queue = new FrameQueue(held);
    await queue.next(1000, 'pairing hello'); // the hello itself, already seen
    const refuse = (refusal: PairRefusal, reason: string) => {
      held.send(encodeRefusal(refusal));
      // Closed a moment later so the refusal arrives before the circuit's end.
      setTimeout(() => held.close(reason), 200).unref();
    };
    const wait = this.attempts.attempt(from.limitKey);
    if (wait > 0) {
      this.deps.log.warn({ source: from.limitKey }, 'pairing attempt refused: rate limit');
      return refuse({ reason: 'rate-limited', retryAfterSeconds: wait }, 'too many pairing attempts');
    }
    const tag = pairHelloTag(hello);
    const active = this.codes.get(tag);
    if (!active || active.expiresAt < Date.now())
      return refuse({ reason: 'code-invalid' }, CODE_INVALID_LINE);
    this.retire(tag); // burn it now: one online guess per code
    const issuer = new PairingIssuer({
      code: active.code,
      certDer: this.deps.node.identity.certDer,
      name: this.deps.node.name,
    });
    let result: PairingResult;
    try {
      held.send(issuer.receive(await queue.next(PAIR_STEP_TIMEOUT_MS, 'the joiner’s first pairing message')));
      result = issuer.finish(await queue.next(PAIR_STEP_TIMEOUT_MS, 'the joiner’s key confirmation'));
    } catch (err) {
      if (!held.closed) held.send(issuer.abort());
      // The PAKE's own line already starts with "pairing failed:"; say it once.
      const why = (err as Error).message.replace(/^pairing failed: /, '');
      this.deps.notifier.notice(
        {
          kind: 'pairing',
          message: `pairing with code ${active.code.text} failed (${why}); the code is used up`,
        },
        {
          tag,
          source,
        },
      );
      // The issuer's screen has no code to ask for; it makes a new one.
      this.step({
        role: 'new',
        code: active.code.text,
        step: 'failed',
        message: why.replace(/ — ask for a new code$/, ''),
      });
      setTimeout(() => held.close('pairing failed'), 200).unref();
      return;
    }
    if (result.peerFingerprint === this.deps.node.identity.fingerprint) {
      held.close('cannot pair a node with itself');
      return;
    }
    try {
      this.deps.approvals.record({
        fingerprint: result.peerFingerprint,
        name: result.peerName,
        via: 'code',
        address: source,
        addresses,
        cert: Buffer.from(result.peerCertDer).toString('base64'),
      });
    } catch (err) {
      const message = (err as Error).message;
      // A limit is the joiner's to know; a failure to save (a path, a disk) is only this owner's.
      held.close(isClawError(err, 'RELAY_LIMIT') ? message : unrecordedLine(this.deps.node.name));
      this.deps.notifier.notice({
        kind: 'pairing',
        message: `pairing with ${result.peerName} failed: ${message}`,
      });
      this.step({ role: 'new', code: active.code.text, step: 'failed', message });
      return;
    }
    this.step({
      role: 'new',
      code: active.code.text,
      step: 'joined',
      peerName: result.peerName,
      fingerprint: result.peerFingerprint,
    });
    this.waitingCodes.set(result.peerFingerprint, active.code.text);
    // An already-known peer re-pairing: it stays a peer; answer at once.
    this.waiting.set(result.peerFingerprint, { circuit: held, sessionKey: result.sessionKey });
    held.onClose(() => {
      if (this.waiting.get(result.peerFingerprint)?.circuit !== held) return;
      // Gone before the owner decided: approving now would pair this side only.
      this.waiting.delete(result.peerFingerprint);
      this.waitingCodes.delete(result.peerFingerprint);
      this.deps.approvals.withdraw(result.peerFingerprint);
      this.step({
        role: 'new',
        code: active.code.text,
        step: 'failed',
        peerName: result.peerName,
        fingerprint: result.peerFingerprint,
        message: `${result.peerName} stopped waiting (cancelled, timed out or lost its connection) before you decided`,
      });
    });
  }

  private answer(d: Decision): void {
    const w = this.waiting.get(d.record.fingerprint);
    if (!w) return;
    this.waiting.delete(d.record.fingerprint);
    const code = this.waitingCodes.get(d.record.fingerprint);
    this.waitingCodes.delete(d.record.fingerprint);
    this.step({
      role: 'new',
      ...(code ? { code } : {}),
      step: d.approved ? 'paired' : 'rejected',
      // The name it is a peer by here (`B-2` when another peer reads as `B`), not the one it asked with.
      peerName: d.peer?.name ?? d.record.name,
      fingerprint: d.record.fingerprint,
    });
    try {
      w.circuit.send(sealDecision(w.sessionKey, { approved: d.approved, name: this.deps.node.name }));
    } finally {
      setTimeout(() => w.circuit.close(d.approved ? 'approved' : 'rejected'), 500).unref();
    }
  }

  // ---- joiner ----

  /**
   * The joiner's side of a successful pairing: the issuer becomes a peer with what the user allowed
   * (`allow`; nothing when not given). A node that is already a peer here (paired again after it
   * removed us) keeps the name it has here, its permissions unless `allow` is given, and its limits.
   */
  private addPairedPeer(
    result: PairingResult,
    allow: Permission[] | undefined,
    issuerRelay: RelaySetting | undefined,
  ): PeerRecord {
    const trust = this.deps.trust;
    const paired = pairedPeerRecord(
      trust.peers(),
      {
        fingerprint: result.peerFingerprint,
        name: result.peerName,
        addresses: [],
        cert: Buffer.from(result.peerCertDer).toString('base64'),
      },
      allow,
      [],
    );
    // The invite's relay is where the issuer waits: its home relay, until its hello says otherwise.
    const homeRelay = issuerRelay ?? paired.homeRelay;
    const record: PeerRecord = { ...paired, ...(homeRelay ? { homeRelay } : {}) };
    trust.addPeer(record);
    this.deps.peers.trackPeer(record);
    this.deps.notifier.changed();
    return record;
  }

  async join(text: string, timeoutMs = 10 * 60 * 1000, allow?: Permission[]): Promise<PairJoinResult> {
    const invite = parseCodeOrInvite(text);
    const code = invite.code.text;
    if (this.joins.has(code))
      throw new ClawError('BAD_ARGUMENT', `already joining with ${code} here; wait for it, or cancel it`);
    const cancel = new JoinCancel();
    this.joins.set(code, () => cancel.cancel());
    try {
      return await this.joinSteps(invite, timeoutMs, allow, cancel);
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
      this.joinState.delete(code);
    }
  }

  private async joinSteps(
    invite: Invite,
    timeoutMs: number,
    allow: Permission[] | undefined,
    cancel: JoinCancel,
  ): Promise<PairJoinResult> {
    const code = invite.code.text;
    this.step({ role: 'join', code, step: 'finding' });
    const { circuit, via } = await this.findIssuer(invite);
    cancel.hold(circuit);
    this.step({ role: 'join', code, step: 'checking', via });
    const queue = new FrameQueue(circuit);
    const joiner = new PairingJoiner({
      code: invite.code,
      certDer: this.deps.node.identity.certDer,
      name: this.deps.node.name,
    });
    let result: PairingResult;
    try {
      circuit.send(encodePairHello(invite.code.tag));
      circuit.send(joiner.start());
      const msg2 = await queue.next(PAIR_STEP_TIMEOUT_MS, 'the issuer’s answer').catch((err: Error) => {
        // An issuer that refuses says why first; one that just closed did not have the code (any more).
        throw isClawError(err, 'LINK_CLOSED') ? new ClawError('BAD_PAIR_CODE', CODE_INVALID_LINE) : err;
      });
      const refused = refusalError(msg2);
      if (refused) throw refused;
      const step = joiner.receive(msg2);
      circuit.send(step.message);
      result = step.result;
    } catch (err) {
      if (!circuit.closed && !isClawError(err, 'BAD_PAIR_CODE') && !isClawError(err, 'RELAY_LIMIT'))
        circuit.send(joiner.abort());
      circuit.close('pairing failed');
      throw cancel.cancelled ? JOIN_CANCELLED() : err;
    }
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
      throw new ClawError('PAIRING_REJECTED', `rejected by ${decision.name || result.peerName}`);
    const peer = this.addPairedPeer(result, allow, inviteRelay(invite));
    this.step({ role: 'join', code, step: 'paired', ...other });
    return { name: peer.name, fingerprint: peer.fingerprint, allow: peer.allow };
  }

  /**
   * The issuer's circuit and how it was found (`relay ws://…` or `lan`): first the invite's relay,
   * reached on demand when this node is not on it (nothing is saved: docs/relay-protocol.md §Home
   * relays), then this node's own relays, then the LAN.
   */
  private async findIssuer(invite: Invite): Promise<{ circuit: HeldCircuit; via: string }> {
    const alias = rendezvousAlias(invite.code.tag);
    const relays = this.deps.relays.relayClients().filter((r) => r.url !== invite.relayUrl);
    if (invite.relayUrl) {
      relays.unshift(
        this.deps.relays.acquireRelay(invite.relayUrl, invite.relayFingerprint, invite.relayToken),
      );
    }
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
