/**
 * The receiving side of the `files` service (ADR 0051): the sessions of the streams peers opened under
 * their `files` grant (file-receiving-session.ts, one per transfer), the budget of offers they hold
 * at once, the transfers listed, and cancelling one. A new stream for a transfer still held by an
 * older one (a path that froze) takes it over.
 */
import { rm } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { Emitter } from '../core/emitter.js';
import { FILES_PROTOCOL_VERSION, type FilesVersion } from '../protocol/file-frames.js';
import { ReceivingSession, type Peer } from './file-receiving-session.js';
import type { FileStore } from './file-store.js';
import { KEPT_TRANSFERS, type TransferView } from './transfer-view.js';

export type ReceiverEvents = {
  changed: [TransferView];
};

/**
 * Bytes of offer JSON all the sessions of a receiver may hold at once (64 MiB; in memory they take a
 * few times that as objects): an offer past it is refused BUSY, and its sender tries again later.
 */
export const OFFERS_HELD_BYTES = 64 * 1024 * 1024;

export interface ReceiverOptions {
  /** OFFERS_HELD_BYTES unless said otherwise (tests). */
  offersHeldBytes?: number;
}

export class FileReceiver {
  readonly events = new Emitter<ReceiverEvents>();
  private offersHeld = 0;
  /** Sessions by staging folder: a newer stream for the same transfer takes the folder over. */
  private readonly active = new Map<string, ReceivingSession>();
  /** Recent transfers by ID (finished ones kept for the list until the agent stops). */
  readonly transfers = new Map<string, ReceivingSession>();

  constructor(
    readonly store: FileStore,
    private readonly opts: ReceiverOptions = {},
  ) {}

  /** Takes `bytes` of offer JSON into the budget (a negative number gives back); false when full. */
  holdOffer(bytes: number): boolean {
    if (bytes > 0 && this.offersHeld + bytes > (this.opts.offersHeldBytes ?? OFFERS_HELD_BYTES)) return false;
    this.offersHeld += bytes;
    return true;
  }

  /** Takes a stream a peer opened (in files protocol `version`); the session ends with it. */
  serve(stream: Duplex, peer: Peer, version: FilesVersion = FILES_PROTOCOL_VERSION): ReceivingSession {
    return new ReceivingSession(this, stream, peer, version);
  }

  /**
   * Cancels an incoming transfer, for good: recorded on disk first (a sender that offers it again, now
   * or after either agent restarted, is told and stops), then its stream ended (the sender told) and
   * its staging removed. A transfer known from staging only (its stream gone, this agent restarted) is
   * cancelled too. False when there is no such unfinished transfer.
   */
  async cancel(id: string, reason: string): Promise<boolean> {
    const s = this.transfers.get(id);
    if (s && (s.view.state === 'done' || s.view.state === 'cancelled')) return false;
    const staged = await this.store.stagingOf(id);
    const from = s?.peerFingerprint ?? staged?.from;
    if (!from) return false;
    await this.store.markCancelled(from, id);
    const live = this.active.get(this.store.stagingDir(from, id));
    if (s?.live) s.cancel(reason);
    if (live?.live && live !== s) live.cancel(reason);
    if (s && !s.live && s.view.state !== 'cancelled') s.markCancelled(reason);
    if (staged) await rm(staged.dir, { recursive: true, force: true });
    return true;
  }

  /** @internal */ async claim(dir: string, s: ReceivingSession): Promise<void> {
    const prev = this.active.get(dir);
    this.active.set(dir, s);
    if (prev && prev !== s) await prev.takeOver();
  }
  /** @internal */ release(dir: string, s: ReceivingSession): void {
    if (this.active.get(dir) === s) this.active.delete(dir);
  }
  /** @internal */ changed(s: ReceivingSession): void {
    this.transfers.set(s.view.id, s);
    this.events.emit('changed', s.view);
    // The list keeps the latest finished ones only (a Map iterates oldest first).
    if (this.transfers.size <= KEPT_TRANSFERS) return;
    for (const [id, t] of this.transfers) {
      if (this.transfers.size <= KEPT_TRANSFERS) break;
      if (!t.live) this.transfers.delete(id);
    }
  }
}
