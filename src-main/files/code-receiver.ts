/**
 * `clawbridge file receive CODE` without an agent (ADR 0124): a throwaway node — an identity made in
 * memory and never written — meets the code on the sender's relay (code-meet.ts), then dials the sender
 * as the guest the PAKE made it (directly at the addresses its `ready` named when one answers, else
 * through that relay: links/guest-dial.ts), answers the sender's `files` stream with the ordinary
 * FileReceiver (offers, per-file hashes, staging) into a store of its own in a hidden folder of the
 * target, and moves the verified tree into the target with `file get`'s rules (a name that exists
 * already is renamed, never overwritten). A link that drops is dialed again under the same identity,
 * so the sender carries on from what arrived; after this node's COMPLETE too, until the sender read it
 * (AFTER_COMPLETE_MS at most), so the sender's offer ends done rather than at its code's deadline. The
 * staging folder goes at the end either way.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { backoffDelayMs } from '../core/backoff.js';
import { ClawError, errorMessage, refusalOf } from '../core/errors.js';
import { generateIdentity, type Identity } from '../crypto/identity.js';
import { dialGuest } from '../links/guest-dial.js';
import { RelaySplicer } from '../links/relay-splice.js';
import type { Mux, StreamRequest } from '../mux/mux.js';
import { fileCodeInvite } from '../protocol/file-code-frames.js';
import { FILES_SERVICE, filesOpenArgsProblem, filesOpenVersion } from '../protocol/file-frames.js';
import { codeNamed, parseCodeOrInvite, type Invite } from '../protocol/pair-code.js';
import { RelayClient } from '../transport/relay-client.js';
import { meetFileCode, type MetSender } from './code-meet.js';
import type { FileMethodResults } from './files-contract.js';
import { FileReceiver } from './file-receiver.js';
import { FileStore } from './file-store.js';
import { moveOut } from './move-out.js';
import type { TransferView } from './transfer-view.js';

/** The name the receiver's throwaway node gives itself (the sender shows it beside its fingerprint). */
export const RECEIVER_NAME = 'code receiver';
/** Most dials of the sender after the first one, over a transfer's life (each after a dropped link). */
const MAX_REDIALS = 30;
/**
 * How long the receiver stays after its COMPLETE for the sender to read it, in ms: a link that drops
 * before the COMPLETE got there is dialed again meanwhile, and the sender's next `files` stream is
 * answered with the same COMPLETE (the store remembers it), so the sender ends `done` instead of
 * waiting for a receiver that left until its code expires. Room for a dead link to be noticed
 * (DEAD_AFTER_MS) and a few dials after it.
 */
const AFTER_COMPLETE_MS = 60_000;
/** How long a cancel waits for the sender's stream to come, then for the sender to hang up, in ms each. */
const CANCEL_WAIT_MS = 5_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface CodeReceiveOptions {
  /** The code, or the link the sender printed (it names the relay). */
  text: string;
  /** Where the files go (made if missing). */
  dir: string;
  /** The relay for a bare code, which names none. */
  relay?: { url: string; fingerprint?: string; token?: string };
  /**
   * False: the sender is reached through the relay only, even where its offer names direct addresses
   * (`file receive --no-direct`; an agent whose direct links are off).
   */
  direct?: boolean;
  /** What happens, for the command to say. */
  on?: {
    met?(sender: MetSender, own: string): void;
    progress?(view: TransferView): void;
    note?(line: string): void;
    /** A link to the sender came up (the first, or one after a drop): directly, or through the relay. */
    linked?(path: 'direct' | 'relay', remote: string): void;
  };
  log?: Logger;
  /**
   * Ends the receive when aborted: a meeting under way stops; a transfer under way is cancelled, the
   * sender told and what had arrived removed. Once every file was verified here, they are kept.
   */
  signal?: AbortSignal;
}

/** What a receive ended by its signal fails with. */
export const RECEIVE_CANCELLED = 'not received: cancelled by the receiver';

export interface CodeReceiveResult {
  sender: { name: string; fingerprint: string };
  transfer: TransferView;
  moved: FileMethodResults['files.get'];
}

/**
 * Receives what the code's sender offers into `opts.dir`.
 * @throws ClawError('BAD_ARGUMENT') for a bare code with no relay; the meeting's errors
 *   (code-meet.ts); ClawError('TRANSFER_FAILED') when the transfer failed or was cancelled
 */
export async function receiveWithCode(opts: CodeReceiveOptions): Promise<CodeReceiveResult> {
  const invite = codeNamed('the file code', () => parseCodeOrInvite(fileCodeInvite(opts.text)));
  const where = relayOf(invite, opts.relay);
  const log = opts.log ?? pino({ level: 'silent' });
  if (opts.signal?.aborted) throw new ClawError('TRANSFER_FAILED', RECEIVE_CANCELLED);
  const identity = await generateIdentity(RECEIVER_NAME);
  const relay = new RelayClient({
    url: where.url,
    identity,
    ...(where.fingerprint ? { pinnedFingerprint: where.fingerprint } : {}),
    ...(where.token ? { token: where.token } : {}),
    logger: log,
  });
  relay.start();
  const staging = join(opts.dir, `.clawbridge-receiving-${randomBytes(6).toString('hex')}`);
  try {
    const sender = await unlessAborted(meetFileCode(relay, identity, RECEIVER_NAME, invite), opts.signal);
    opts.on?.met?.(sender, identity.fingerprint);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    const store = new FileStore(staging);
    await store.open();
    const transfer = await new Transfer(relay, identity, sender, new FileReceiver(store), opts, log).run();
    const meta = (await store.list()).find((m) => m.transfer === transfer.id);
    if (!meta) throw new ClawError('INTERNAL', `the verified transfer ${transfer.id} is not in the inbox`);
    const moved = await moveOut(store, [meta], opts.dir, 'rename');
    return { sender: { name: sender.name, fingerprint: sender.fingerprint }, transfer, moved };
  } finally {
    relay.stop();
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** `work`, or a cancellation once `signal` aborts first (the relay's stop in `finally` ends the work). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ClawError('TRANSFER_FAILED', RECEIVE_CANCELLED));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Where a code is met: the invite's relay, else the one given. */
function relayOf(
  invite: Invite,
  given: CodeReceiveOptions['relay'],
): NonNullable<CodeReceiveOptions['relay']> {
  if (invite.relayUrl)
    return {
      url: invite.relayUrl,
      ...(invite.relayFingerprint ? { fingerprint: invite.relayFingerprint } : {}),
      ...(invite.relayToken ? { token: invite.relayToken } : {}),
    };
  if (given) return given;
  throw new ClawError(
    'BAD_ARGUMENT',
    'a bare code names no relay: give the whole link the sender printed (clawbridge://file?…), or the relay with --relay URL',
  );
}

/** One transfer from the sender: its links (the first and any after a drop) and the receiving side. */
class Transfer {
  private mux: Mux | undefined;
  private result: { resolve(v: TransferView): void; reject(e: Error): void } | undefined;
  private ended = false;
  /** The transfer as it was done here (every file verified, COMPLETE written), until the sender read it. */
  private complete: TransferView | undefined;
  private completeTimer: NodeJS.Timeout | undefined;
  private redials = 0;
  /** Why the last session failed, for the error when the sender cannot be reached again. */
  private lastFailure: string | undefined;
  /** The transfer's ID here, once the sender's stream named it (a cancel names it). */
  private transferId: string | undefined;
  /** The receiver cancelled: a link that drops now is not dialed again. */
  private cancelling = false;
  /** Resolves once `transferId` is known (a cancel waits for it). */
  private named: () => void = () => undefined;
  private readonly transferNamed = new Promise<void>((resolve) => (this.named = resolve));
  /**
   * Moves each link onto a splice through the relay, as agents' relay links move (ADR 0013): pinned
   * TLS end to end over a pipe the relay does not open, instead of E2E records in WebSocket messages
   * that the relay's TLS decrypts and encrypts again. This node dials, so it starts the splice once
   * the sender's hello says it splices; a relay without splices leaves the link as it is.
   */
  private readonly splicer: RelaySplicer;

  constructor(
    private readonly relay: RelayClient,
    private readonly identity: Identity,
    private readonly sender: MetSender,
    private readonly receiver: FileReceiver,
    private readonly opts: CodeReceiveOptions,
    log: Logger,
  ) {
    // The relay client lives as long as the transfer: nothing to hold for a spliced link.
    this.splicer = new RelaySplicer({ identity, log, holdRelay: () => () => undefined });
  }

  run(): Promise<TransferView> {
    const done = new Promise<TransferView>((resolve, reject) => (this.result = { resolve, reject }));
    const signal = this.opts.signal;
    const onAbort = () => {
      this.cancel().catch((err: unknown) => this.fail(err as Error));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    done.then(
      () => signal?.removeEventListener('abort', onAbort),
      () => signal?.removeEventListener('abort', onAbort),
    );
    this.receiver.events.on('changed', (view) => {
      if (view.peer.fingerprint !== this.sender.fingerprint) return;
      this.transferId = view.id;
      this.named();
      this.opts.on?.progress?.(view);
      // Done here once the COMPLETE is written; the sender's own `done` waits for it, so this node
      // stays until the sender read it and ended its stream (streamEnded), a bounded while at most.
      if (view.state === 'done') return this.completed(view);
      // A cancel of this receiver's own (`cancel`) ends the transfer once the sender read it: failing
      // here would close the link before the CANCEL frame and the stream's reset went out.
      if (view.state === 'cancelled' && !this.cancelling)
        this.fail(
          new ClawError('TRANSFER_FAILED', `not received: ${view.why ?? 'the transfer was cancelled'}`),
        );
      // A stream that broke fails its session, not the transfer: the sender carries it on over the
      // next link. A failure it cannot carry on ends its offer, and the sender then hangs up on this
      // node and refuses it (the dial below says why).
      if (view.state === 'failed') this.lastFailure = view.why;
    });
    this.dial().catch((err: unknown) => this.fail(err as Error));
    return done;
  }

  /**
   * The receiver gave up (its signal): the transfer is cancelled as `file cancel` cancels one (what
   * arrived is removed, the sender told by a CANCEL frame and the stream's reset), and the link is
   * closed once the sender hung up on it (CANCEL_WAIT_MS at most), not dialed again. Cancelled before
   * the sender's stream came (it follows the dial at once), it waits for that stream to cancel it:
   * otherwise the sender would wait for this node to dial again until its code expired.
   */
  private async cancel(): Promise<void> {
    if (this.ended) return;
    this.cancelling = true;
    if (!this.complete) {
      if (!this.transferId) await Promise.race([this.transferNamed, delay(CANCEL_WAIT_MS)]);
      const told =
        this.transferId !== undefined &&
        (await this.receiver.cancel(this.transferId, 'cancelled by the receiver').catch(() => false));
      if (told) await this.hungUp();
    }
    this.fail(new ClawError('TRANSFER_FAILED', RECEIVE_CANCELLED));
  }

  /** Until the sender hangs up, which it does once it read the cancel; CANCEL_WAIT_MS at most. */
  private hungUp(): Promise<void> {
    const mux = this.mux;
    if (!mux) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, CANCEL_WAIT_MS);
      const off = mux.on('close', done);
    });
  }

  /** Every file verified and the COMPLETE written: waits for the sender to read it, AFTER_COMPLETE_MS at most. */
  private completed(view: TransferView): void {
    if (this.complete) return;
    this.complete = view;
    this.completeTimer = setTimeout(() => {
      this.opts.on?.note?.(
        `${this.sender.name} did not confirm the end within ${AFTER_COMPLETE_MS / 1000} s; every file was verified here`,
      );
      this.finish(view);
    }, AFTER_COMPLETE_MS);
  }

  /**
   * The sender ended a `files` stream (its FIN, not a broken link): after this node's COMPLETE it read
   * it — on the stream that carried it, or on one opened again after a drop, which the store answered
   * with the same COMPLETE.
   */
  private streamEnded(): void {
    if (this.complete) this.finish(this.complete);
  }

  private finish(view: TransferView): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.completeTimer);
    this.mux?.close('received');
    this.result?.resolve(view);
  }

  private fail(err: Error): void {
    if (this.ended) return;
    // Every file was verified here already: what failed is only the sender's hearing of it (its offer
    // ended meanwhile, so a dial is refused), and the files are kept.
    if (this.complete) {
      this.opts.on?.note?.(
        `${this.sender.name} could not be told the end (${err.message}); every file was verified here`,
      );
      return this.finish(this.complete);
    }
    this.ended = true;
    clearTimeout(this.completeTimer);
    this.mux?.close(err.message);
    this.result?.reject(err);
  }

  /** Dials the sender through the relay, as the guest its PAKE made this node. */
  private async dial(): Promise<void> {
    const dialed = await dialGuest({
      relay: this.relay,
      identity: this.identity,
      name: RECEIVER_NAME,
      host: this.sender.fingerprint,
      addresses: this.opts.direct === false ? [] : (this.sender.offer.addresses ?? []),
      splicer: this.splicer,
      onStream: (req) => this.stream(req),
      stopped: () => this.ended,
    });
    if (!dialed) return;
    const { mux, hello } = dialed;
    this.mux = mux;
    this.opts.on?.linked?.(dialed.path, dialed.remote);
    mux.on('close', (err) => {
      if (this.ended || this.cancelling) return;
      this.opts.on?.note?.(`the link to ${this.sender.name} dropped (${errorMessage(err)}); dialing again`);
      this.redial().catch((e: unknown) => this.fail(e as Error));
    });
    hello.catch((err: unknown) => this.fail(err as Error));
  }

  /** Dials again after a drop, backing off, a bounded number of times. */
  private async redial(): Promise<void> {
    while (!this.ended) {
      if (this.redials++ >= MAX_REDIALS) {
        const last = this.lastFailure ? ` (last: ${this.lastFailure})` : '';
        return this.fail(
          new ClawError('TRANSFER_FAILED', `lost ${this.sender.name} ${MAX_REDIALS} times: given up${last}`),
        );
      }
      await new Promise((r) => setTimeout(r, backoffDelayMs(Math.min(this.redials - 1, 3))));
      try {
        return await this.dial();
      } catch (err) {
        // The sender refused this node (the offer ended there): no point in trying again.
        if (refusalOf(err) !== undefined) return this.fail(err as Error);
        this.opts.on?.note?.(`cannot reach ${this.sender.name} yet (${errorMessage(err)})`);
      }
    }
  }

  /** The sender's streams (its control stream is dialGuest's): its `files` stream received; nothing else. */
  private stream(req: StreamRequest): void {
    if (req.service !== FILES_SERVICE)
      return req.reject('UNKNOWN_SERVICE', `a code's receiver takes files only, not '${req.service}'`);
    const problem = filesOpenArgsProblem(req.args);
    if (problem) return req.reject('BAD_REQUEST', problem);
    const stream = req.accept();
    stream.once('end', () => this.streamEnded());
    this.receiver.serve(
      stream,
      { fingerprint: this.sender.fingerprint, name: this.sender.name },
      filesOpenVersion(req.args),
    );
  }
}
