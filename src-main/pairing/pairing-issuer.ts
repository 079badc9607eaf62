/**
 * Pairing by code, the issuer's side (architecture.md §Pairing and approval). The issuer shows a
 * one-time code and listens for it on its relays under a rendezvous alias derived from the code's tag
 * (and on the LAN); a joiner opens a circuit to that alias and both run CPace (crypto/pairing.ts) keyed
 * by the code's secret, with both certificates bound into the transcript. The owner then approves or
 * rejects (approvals.ts, whose decision event this side subscribes to); the sealed decision goes back
 * over the same circuit. The relay sees the tag, the certificates and ciphertext, never the secret.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { PairListResult, PairNewResult } from '../api/contract.js';
import { addressBlock } from '../core/address-block.js';
import { AttemptLimiter } from '../core/attempt-limiter.js';
import { BurstGate } from '../core/burst-gate.js';
import type { AuditSink } from '../audit/audit-writer.js';
import { ClawError, isClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import { receivedNodeName } from '../core/names.js';
import { sealDecision } from '../crypto/pairing-decision.js';
import type { PairingResult } from '../crypto/pairing.js';
import type { Identity } from '../crypto/identity.js';
import {
  encodeInvite,
  generatePairCode,
  parseCodeOrInvite,
  parsePairCode,
  type Invite,
  type PairCode,
} from '../protocol/pair-code.js';
import type { Circuit } from '../transport/circuit.js';
import { FrameQueue, HeldCircuit } from '../transport/frame-queue.js';
import type { Link } from '../transport/link.js';
import type { IssuedCodeInfo, IssueOptions, MetCode } from '../links/domain.js';
import type { RelayClient } from '../transport/relay-client.js';
import { streamCircuit } from '../transport/stream-circuit.js';
import type { Approvals, Decision } from './approvals.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import type { PairingProgress } from './pairing-progress.js';
import {
  CODE_INVALID_LINE,
  encodeRefusal,
  isPairHello,
  lanPairArgs,
  PAIR_STEP_TIMEOUT_MS,
  pairHelloOf,
  PAIR_USE,
  type PairingSource,
  type PairRefusal,
} from '../protocol/pairing-wire.js';
import { sourceOf, unrecordedLine } from '../state/pending.js';
import type { RelaySetting } from '../state/settings.js';
import { isoTime } from '../core/iso-time.js';

/** Default lifetime of a code, in ms (architecture.md §Pairing and approval: 10 minutes). */
export const PAIR_CODE_TTL_MS = 10 * 60 * 1000;

/**
 * How long `pair new` waits for its relays to confirm they route the new code: a connected relay
 * answers within a round trip; one still connecting gets a few seconds, and the code is shown anyway.
 */
export const PAIR_LISTEN_SETTLE_MS = 3_000;
/** Most codes one node has open at once (each is one relay alias). */
export const MAX_ACTIVE_CODES = 8;
/**
 * Most pairing attempts this node answers per minute from one source (a node on the relay, an IP or
 * IPv6 /64 on the LAN). Counted per source first: a single global count let 25 junk hellos from one
 * stranger lock everyone out. A wrong tag costs nothing but a lookup; a right one burns its code (one
 * guess per code).
 */
export const PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE = 5;
/**
 * Most pairing attempts this node answers per minute through relays, all sources together. Over a
 * relay the source is a node ID, and identities are free (70 of them sent 350 junk hellos in 10 s,
 * none limited), while the relay does not pass the source's IP on (an INCOMING frame names only the
 * source node): this bounds how fast anyone can probe for open codes' 20-bit tags and burn codes.
 * Each attempt refused here is told to retry (its code stays good); a flood from many identities can
 * delay pairing over relays while it lasts, never make a code guessable (docs/security.md). LAN
 * attempts do not count here: their source is an address.
 */
export const PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE = 30;
/** The key of the node-wide budget of PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE. */
const RELAYS_KEY = 'relays';

/**
 * One code this node issued, from shown to answered: `open` while a joiner may use it; `deciding` once
 * a joiner passed the PAKE and waits, on its circuit, for the owner's decision. Used codes are gone.
 */
type IssuedCode =
  | {
      state: 'open';
      code: PairCode;
      expiresAt: number;
      timer: NodeJS.Timeout;
      /** What `pair.new` answered, for `pair.list`. */
      shown: PairNewResult;
      /** Made as one of the owner's devices (`pair new --mine`): its request says so. */
      mine: boolean;
      /**
       * Issued for a domain (DomainCodes.issue): once met, the circuit is handed to it in place of a
       * pairing request. Such codes are not pairing's to list or cancel.
       */
      handoff?: (met: MetCode) => Promise<void>;
      /** Told when the code is tried, before the PAKE (IssueOptions.onSpent). */
      spent?: () => void;
      /** Told when the PAKE with the code failed (IssueOptions.onFailed). */
      failed?: (why: string) => void;
      /** What a domain's code is for (IssueOptions.use); pairing's own when absent. */
      use?: string;
    }
  | {
      state: 'deciding';
      code: PairCode;
      /** The joiner that passed the PAKE with this code. */
      fingerprint: string;
      circuit: Circuit;
      sessionKey: Uint8Array;
    };

export interface PairingIssuerDeps {
  identity: Identity;
  log: Logger;
  state: Pick<NodeStateReader, 'get'>;
  notifier: Notifier;
  /** Codes are listened for on every relay; an invite names the first saved one. */
  relays: { clients(): RelayClient[]; saved(): readonly RelaySetting[] };
  /** The LAN: whether joiners can reach this node there, and the open codes' tags it announces. */
  lan: {
    lanPairingAvailable(): boolean;
    readonly listenAddress: string | null;
    setTags(tags: string[]): void;
  };
  /** The issuer records a joiner that passed the PAKE as a request, and answers it on the decision. */
  approvals: Pick<Approvals, 'record' | 'withdraw' | 'events'>;
  progress: PairingProgress;
  /** Refused attempts (a code no one holds, a rate limit) go to the audit log. */
  audit?: AuditSink;
}

export class CodeIssuer {
  /** Every code issued and not yet used up, by tag. */
  private readonly codes = new Map<string, IssuedCode>();
  private readonly attempts = new AttemptLimiter(PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE, 60_000);
  private readonly overRelays = new AttemptLimiter(PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE, 60_000, 1);
  /**
   * The log tells of a source over its rate limit once a minute, then how many more (one warning per
   * attempt was thousands of lines a minute from one stranger on a relay).
   */
  private readonly rateLimitedLog = new BurstGate<string>({
    perWindow: 1,
    windowMs: 60_000,
    onHeld: (source, count) =>
      this.deps.log.warn({ source }, `${count} more pairing attempts refused in a minute: rate limit`),
  });
  private readonly stopWatching: () => void;

  constructor(private readonly deps: PairingIssuerDeps) {
    this.stopWatching = deps.approvals.events.on('decision', (d) => this.answer(d));
  }

  private get name(): string {
    return this.deps.state.get().name ?? 'clawbridge';
  }

  private open(): Extract<IssuedCode, { state: 'open' }>[] {
    return [...this.codes.values()].filter((c) => c.state === 'open');
  }

  /**
   * A new code, returned once every relay has it (bounded by PAIR_LISTEN_SETTLE_MS): a joiner who types
   * it at once must find this node there, even right after the agent started or its relay reconnected.
   */
  async newCode(
    ttlMs = PAIR_CODE_TTL_MS,
    mine = false,
    handoff?: (met: MetCode) => Promise<void>,
    opts: Partial<IssueOptions> = {},
  ): Promise<PairNewResult> {
    const relays = this.deps.relays.clients();
    if (relays.length === 0 && !this.deps.lan.lanPairingAvailable()) {
      const listen = this.deps.lan.listenAddress;
      throw new ClawError(
        'BAD_ARGUMENT',
        listen === null
          ? 'this node has no relay, and no direct listener (it runs with --no-direct) to meet a joiner on the LAN: start the agent with --relay URL, or without --no-direct'
          : `this node has no relay, and its direct listener (${listen}) is not announced on the LAN (it is a loopback address, or LAN discovery is off): start the agent with --relay URL, or with --listen on an address the LAN reaches (e.g. 0.0.0.0:7475)`,
      );
    }
    if (this.open().length >= MAX_ACTIVE_CODES) {
      throw new ClawError(
        'RELAY_LIMIT',
        ...commandArgs(
          `already ${MAX_ACTIVE_CODES} codes open; use one, wait for them to expire, or cancel one (\`clawbridge pair list\`, `,
          hereHint(['pair', 'cancel', 'CODE']),
          ')',
        ),
      );
    }
    const code = opts.again !== undefined ? parsePairCode(opts.again) : generatePairCode();
    const expiresAt = Date.now() + ttlMs;
    const timer = setTimeout(() => this.retire(code.tag), ttlMs);
    timer.unref();
    const first = this.deps.relays.saved()[0];
    const invite: Invite = {
      code,
      ...(first ? { relayUrl: first.url } : {}),
      ...(first?.fingerprint ? { relayFingerprint: first.fingerprint } : {}),
      ...(first?.token ? { relayToken: first.token } : {}),
    };
    const shown = {
      code: code.text,
      invite: encodeInvite(invite),
      expiresAt: isoTime(expiresAt),
      ...(mine ? { mine: true } : {}),
    };
    // Open before it is announced: the LAN announcement lists the open codes' tags.
    this.codes.set(code.tag, {
      state: 'open',
      code,
      expiresAt,
      timer,
      shown,
      mine,
      ...(handoff ? { handoff } : {}),
      ...(opts.onSpent ? { spent: opts.onSpent } : {}),
      ...(opts.onFailed ? { failed: opts.onFailed } : {}),
      ...(opts.use ? { use: opts.use } : {}),
    });
    // By tag: a relay that takes LISTEN_TAG derives the alias, so nobody can squat a node ID there.
    for (const r of relays) r.listenTag(code.tag);
    this.announceTags();
    this.deps.notifier.changed();
    const held = await Promise.all(relays.map((r) => r.listensHeld(PAIR_LISTEN_SETTLE_MS)));
    const late = relays.filter((_, i) => !held[i]).map((r) => r.url);
    // Still listened for there once the relay is back; only a joiner who tries before then misses it.
    if (late.length > 0)
      this.deps.log.warn({ relays: late, code: code.text }, 'a relay has not confirmed the new code yet');
    return shown;
  }

  /** Codes nobody has used yet, newest first (`pair.list`); a domain's codes are its own to list. */
  list(): PairListResult['codes'] {
    return this.open()
      .filter((c) => !c.handoff)
      .map((c) => c.shown)
      .reverse();
  }

  /** A code for a domain (DomainCodes.issue): met, it is handed to `handoff`, not to the approvals. */
  async issueFor(
    ttlMs: number,
    handoff: (met: MetCode) => Promise<void>,
    opts: IssueOptions,
  ): Promise<IssuedCodeInfo> {
    const { code, invite, expiresAt } = await this.newCode(ttlMs, false, handoff, opts);
    return { code, invite, expiresAt };
  }

  /** Retires an open code `issueFor` made (DomainCodes.retire); false when it is not open any more. */
  retireFor(text: string): boolean {
    const { code } = parseCodeOrInvite(text);
    const issued = this.codes.get(code.tag);
    if (issued?.state !== 'open' || !issued.handoff || issued.code.text !== code.text) return false;
    this.retire(code.tag);
    this.deps.notifier.changed();
    return true;
  }

  /**
   * Retires an open code at the owner's request (`pair.cancel`): nobody can use it any more.
   * @throws ClawError('BAD_PAIR_CODE') when it is not an open code here.
   */
  cancel(text: string): string {
    const { code } = parseCodeOrInvite(text);
    const issued = this.codes.get(code.tag);
    if (issued?.state !== 'open' || issued.handoff || issued.code.text !== code.text) {
      throw new ClawError(
        'BAD_PAIR_CODE',
        `${code.text} is not an open code of this node (used up, expired or cancelled)`,
      );
    }
    this.retire(code.tag);
    this.deps.notifier.changed();
    return code.text;
  }

  /** Closes every open code (the agent is stopping). */
  stop(): void {
    this.stopWatching();
    for (const [tag, c] of this.codes) if (c.state === 'open') this.retire(tag);
  }

  private announceTags(): void {
    this.deps.lan.setTags(this.open().map((c) => c.code.tag));
  }

  /** Stops listening for an open code: expired, cancelled or just used (a code is single use). */
  private retire(tag: string): void {
    const issued = this.codes.get(tag);
    if (issued?.state !== 'open') return;
    clearTimeout(issued.timer);
    this.codes.delete(tag);
    for (const r of this.deps.relays.clients()) r.unlistenTag(tag);
    this.announceTags();
  }

  /** A `pair` stream on a LAN link (pending-links.ts): the same exchange as over a relay circuit. */
  async acceptLanPairing(stream: Duplex, link: Link, args: unknown): Promise<void> {
    const parsed = lanPairArgs().safeParse(args);
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

  /**
   * Seconds `from` must wait before its next pairing attempt (0: this one counts and goes ahead): its
   * own budget, and through a relay the node-wide one too. An attempt refused by either counts for
   * neither, so one stranger over its own limit does not use up the shared budget.
   */
  private rateLimit(from: PairingSource): number {
    const wait = Math.max(
      this.attempts.wait(from.limitKey),
      from.viaRelay ? this.overRelays.wait(RELAYS_KEY) : 0,
    );
    if (wait > 0) return wait;
    this.attempts.attempt(from.limitKey);
    if (from.viaRelay) this.overRelays.attempt(RELAYS_KEY);
    return 0;
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
      this.deps.audit?.record({
        kind: 'pairing',
        role: 'new',
        step: 'refused',
        path: from.viaRelay ? 'relay' : 'direct',
        ...(source ? { address: source } : {}),
        what: 'pairing attempt',
        outcome: 'refused',
        reason: refusal.reason,
      });
      held.send(encodeRefusal(refusal));
      // Closed a moment later so the refusal arrives before the circuit's end.
      setTimeout(() => held.close(reason), 200).unref();
    };
    const wait = this.rateLimit(from);
    if (wait > 0) {
      if (this.rateLimitedLog.admit(from.limitKey, from.limitKey)) {
        this.deps.log.warn({ source: from.limitKey }, 'pairing attempt refused: rate limit');
      }
      return refuse({ reason: 'rate-limited', retryAfterSeconds: wait }, 'too many pairing attempts');
    }
    const { tag, use } = pairHelloOf(hello);
    const active = this.codes.get(tag);
    if (active?.state !== 'open' || active.expiresAt < Date.now())
      return refuse({ reason: 'code-invalid' }, CODE_INVALID_LINE);
    // A code typed into the other kind's command (a group's code into `pair join`) is not burnt: the
    // joiner is told which command takes it, and the code stays open for that.
    const made = active.use ?? PAIR_USE;
    if (use !== made) return refuse({ reason: 'code-use', use: made }, 'a code for another command');
    this.retire(tag); // burn it now: one online guess per code
    active.spent?.();
    const code = active.code;
    // The PAKE (and @noble/curves under it) loads with the first pairing, not with the agent (ADR 0062).
    const { PairingIssuer: PakeIssuer } = await import('../crypto/pairing.js');
    const issuer = new PakeIssuer({ code, certDer: this.deps.identity.certDer, name: this.name });
    let result: PairingResult;
    try {
      held.send(issuer.receive(await queue.next(PAIR_STEP_TIMEOUT_MS, 'the joiner’s first pairing message')));
      const finished = issuer.finish(await queue.next(PAIR_STEP_TIMEOUT_MS, 'the joiner’s key confirmation'));
      // The joiner's name in normal form, as every name from another node (core/names.ts).
      result = { ...finished, peerName: receivedNodeName(finished.peerName) };
    } catch (err) {
      if (!held.closed) held.send(issuer.abort());
      // The PAKE's own line already starts with "pairing failed:"; say it once.
      const why = (err as Error).message.replace(/^pairing failed: /, '');
      this.deps.notifier.notice(
        { kind: 'pairing', message: `pairing with code ${code.text} failed (${why}); the code is used up` },
        { tag, source },
      );
      // The issuer's screen has no code to ask for; it makes a new one.
      this.deps.progress.step({
        role: 'new',
        code: code.text,
        step: 'failed',
        message: why.replace(/ — ask for a new code$/, ''),
      });
      setTimeout(() => held.close('pairing failed'), 200).unref();
      active.failed?.(why);
      return;
    }
    if (result.peerFingerprint === this.deps.identity.fingerprint) {
      held.close('cannot pair a node with itself');
      return;
    }
    if (active.handoff) return this.handOff(active.handoff, held, queue, result, source);
    let requestId: string;
    try {
      requestId = this.deps.approvals.record({
        fingerprint: result.peerFingerprint,
        name: result.peerName,
        via: 'code',
        address: source,
        addresses,
        cert: Buffer.from(result.peerCertDer).toString('base64'),
        ...(active.mine ? { mine: true as const } : {}),
      }).id;
    } catch (err) {
      const message = (err as Error).message;
      // A limit is the joiner's to know; a failure to save (a path, a disk) is only this owner's.
      held.close(isClawError(err, 'RELAY_LIMIT') ? message : unrecordedLine(this.name));
      this.deps.notifier.notice({
        kind: 'pairing',
        message: `pairing with ${result.peerName} failed: ${message}`,
      });
      this.deps.progress.step({ role: 'new', code: code.text, step: 'failed', message });
      return;
    }
    this.deps.progress.step({
      role: 'new',
      code: code.text,
      step: 'joined',
      peerName: result.peerName,
      fingerprint: result.peerFingerprint,
      pendingId: requestId,
    });
    this.codes.set(tag, {
      state: 'deciding',
      code,
      fingerprint: result.peerFingerprint,
      circuit: held,
      sessionKey: result.sessionKey,
    });
    held.onClose(() => {
      const now = this.codes.get(tag);
      if (now?.state !== 'deciding' || now.circuit !== held) return;
      // Gone before the owner decided: approving now would pair this side only.
      this.codes.delete(tag);
      this.deps.approvals.withdraw(result.peerFingerprint);
      this.deps.progress.step({
        role: 'new',
        code: code.text,
        step: 'failed',
        peerName: result.peerName,
        fingerprint: result.peerFingerprint,
        message: `${result.peerName} stopped waiting (cancelled, timed out or lost its connection) before you decided`,
      });
    });
  }

  /** A domain's code met: the domain runs its protocol on the circuit, which closes when it is done. */
  private async handOff(
    handoff: (met: MetCode) => Promise<void>,
    held: HeldCircuit,
    queue: FrameQueue,
    result: PairingResult,
    source: string | undefined,
  ): Promise<void> {
    try {
      await handoff({
        peer: { fingerprint: result.peerFingerprint, name: result.peerName, certDer: result.peerCertDer },
        sessionKey: result.sessionKey,
        via: source ?? held.relayUrl,
        send: (frame) => void held.send(frame),
        next: (timeoutMs, what) => queue.next(timeoutMs, what),
        close: (reason) => held.close(reason),
      });
    } catch (err) {
      this.deps.log.info({ peer: result.peerFingerprint }, `code ended: ${(err as Error).message}`);
    } finally {
      // Closed a moment later so the domain's last frame arrives before the circuit's end.
      setTimeout(() => held.close('done'), 500).unref();
    }
  }

  private answer(d: Decision): void {
    const entry = [...this.codes.entries()].find(
      ([, c]) => c.state === 'deciding' && c.fingerprint === d.record.fingerprint,
    );
    if (!entry) return;
    const [tag, waiting] = entry;
    if (waiting.state !== 'deciding') return;
    this.codes.delete(tag);
    this.deps.progress.step({
      role: 'new',
      code: waiting.code.text,
      step: d.approved ? 'paired' : 'rejected',
      // The name it is a peer by here (`B-2` when another peer reads as `B`), not the one it asked with.
      peerName: d.peer?.name ?? d.record.name,
      fingerprint: d.record.fingerprint,
    });
    try {
      waiting.circuit.send(sealDecision(waiting.sessionKey, { approved: d.approved, name: this.name }));
    } finally {
      setTimeout(() => waiting.circuit.close(d.approved ? 'approved' : 'rejected'), 500).unref();
    }
  }
}
