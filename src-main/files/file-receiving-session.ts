/**
 * One receiving session of the `files` service (ADR 0051): a stream a peer opened under its `files`
 * grant, carrying one transfer. It reads the offer, checks every name (file-names.ts), the peer's quota
 * and the free disk (keeping a reserve) before writing anything, answers WANT with what staging holds
 * already (a resumed transfer carries on from there: receive-staging.ts), writes each file's bytes
 * under its index (receive-writes.ts), checks its SHA-256 once whole (against the offer's, or for a
 * file offered without one, against the DIGEST that follows its bytes: ADR 0067), and when every file
 * is verified moves the transfer into the inbox at once (file-store.ts). A file whose hash does not
 * match is thrown away and the sender told (FAILED). The receiver (file-receiver.ts) keeps the
 * sessions and lets a newer stream for the same transfer take over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { ClawError, errorMessage, refusalOf } from '../core/errors.js';
import { isoTime } from '../core/iso-time.js';
import type { FileFrame, FileRefusalCode, OfferEntry } from '../protocol/file-frames.js';
import { MAX_ENTRIES, MAX_OFFER_BYTES, type FilesVersion } from '../protocol/file-frames.js';
import { FileChannel, type ChannelFrame } from './file-channel.js';
import { checkOfferNames } from './file-names.js';
import type { FileReceiver } from './file-receiver.js';
import { ENTRY_DISK_BYTES, offerBytes, offerDiskBytes, type ReceivedMeta } from './file-store.js';
import { appendVerified, readStaged, stagedFile, startStaging, verifiedMark } from './receive-staging.js';
import {
  openBigFile,
  ReceiveWrites,
  WRITE_AHEAD_BYTES,
  WRITES_AHEAD,
  type BigFile,
} from './receive-writes.js';
import { RateMeter, type TransferView } from './transfer-view.js';
import { treeHash } from './tree-walk.js';
import { writeTree } from './write-tree.js';
import { background } from '../core/background.js';

/** How long verified indices wait to be sent together, in ms (one frame for many small files). */
const VERIFIED_BATCH_MS = 20;
/**
 * The receive window a files stream asks for once it knows more than RAISE_FROM_BYTES are coming (16
 * MiB, the mux's most; ADR 0067): a long fat path's bandwidth-delay product (12.5 MB at 1 Gbit/s and
 * 100 ms) from the first round trip, instead of auto-tuning's 256 KiB → 16 MiB over several. It comes
 * out of the link's growth budget (mux/constants.ts), so two transfers on one link share it.
 */
export const FILES_RECEIVE_WINDOW = 16 * 1024 * 1024;
/** Bytes wanted from which a files stream raises its window (1 MiB: a small transfer keeps 256 KiB). */
const RAISE_FROM_BYTES = 1024 * 1024;

/** Who opened the stream. */
export interface Peer {
  fingerprint: string;
  name: string;
}

/** A file offered without its SHA-256 whose bytes all arrived: its DIGEST frame comes next. */
interface AwaitingDigest {
  index: number;
  /** The SHA-256 of the bytes that arrived. */
  digest: string;
  /** Its background write (a file that came in one frame). */
  written?: Promise<void>;
}

export class ReceivingSession {
  readonly channel: FileChannel;
  readonly view: TransferView;
  private entries: OfferEntry[] = [];
  private id = '';
  private dir = '';
  private local: Buffer[] = [];
  private renamed: Array<{ from: string; to: string }> = [];
  private held: number[] = [];
  private verified = new Set<number>();
  /** SHA-256 of the files offered without one, once verified (or as staging's marks recorded them). */
  private digests = new Map<number, string>();
  private awaiting: AwaitingDigest | undefined;
  private toAnnounce: number[] = [];
  private announceTimer: NodeJS.Timeout | undefined;
  private current: BigFile | undefined;
  /** Files in the offer, and those whose every byte arrived (verified, or being written). */
  private fileCount = 0;
  private arrived = 0;
  /** Small files being written, the big one's writes, and the first write that failed. */
  private readonly writes = new ReceiveWrites();
  private phase: 'offer' | 'data' | 'over' = 'offer';
  /** The offer's JSON so far, in bytes, and what of it this session holds against the receiver's budget. */
  private offerJsonBytes = 0;
  private heldOfferBytes = 0;
  /** Disk is reserved for this transfer in the store (released when the session ends). */
  private reserved = false;
  private readonly meter = new RateMeter();
  /** Settles once the session let go of its files (closed handles). */
  readonly settled: Promise<void>;

  constructor(
    private readonly receiver: FileReceiver,
    private readonly stream: Duplex,
    private readonly peer: Peer,
    version: FilesVersion,
  ) {
    this.view = {
      id: '',
      direction: 'in',
      peer: { name: peer.name, fingerprint: peer.fingerprint },
      state: 'receiving',
      files: 0,
      bytes: 0,
      filesDone: 0,
      bytesDone: 0,
      rate: 0,
      names: [],
      startedAt: isoTime(),
    };
    this.channel = new FileChannel(stream, (f) => this.onFrame(f), undefined, version);
    this.settled = this.channel.closed.then(async (err) => {
      // A write under way lands before the files are let go (a newer stream reads their sizes next).
      await this.channel.idle();
      clearTimeout(this.announceTimer);
      if (this.current) this.writes.writeBatch(this.current);
      await Promise.allSettled([
        ...this.writes.smallFiles,
        this.current && this.writes.writesDone(this.current),
      ]);
      await this.current?.fh.close().catch(() => undefined);
      this.current = undefined;
      if (this.dir) this.receiver.release(this.dir, this);
      if (this.reserved) this.receiver.store.release(this.dir);
      this.receiver.holdOffer(-this.heldOfferBytes);
      this.heldOfferBytes = 0;
      // What is left is the view: the offer's entries may be long.
      this.entries = [];
      this.local = [];
      this.held = [];
      if (this.phase !== 'over' && this.id) {
        this.phase = 'over';
        // The sender's cancel resets the stream at once (its CANCEL frame may never get ahead of the
        // data queued before it): the reset's CANCELLED code says what happened, not a failure.
        const cancelled = refusalOf(err) === 'CANCELLED';
        this.view.state = cancelled ? 'cancelled' : 'failed';
        this.view.why = cancelled
          ? `cancelled by ${this.peer.name}${err instanceof ClawError && err.peerReason ? `: ${err.peerReason}` : ''}`
          : err
            ? errorMessage(err)
            : 'the stream ended before the transfer did';
        this.receiver.changed(this);
      }
    });
  }

  get live(): boolean {
    return this.phase !== 'over';
  }

  get peerFingerprint(): string {
    return this.peer.fingerprint;
  }

  /** The owner cancelled this transfer while its stream was gone: so it is listed. */
  markCancelled(reason: string): void {
    this.view.state = 'cancelled';
    this.view.why = reason;
    this.receiver.changed(this);
  }

  /** A newer stream carries this transfer on: this one lets go of its files first. */
  async takeOver(): Promise<void> {
    this.phase = 'over';
    this.channel.close(new ClawError('STREAM_RESET', 'a newer stream carries this transfer on'));
    await this.settled;
  }

  cancel(reason: string): void {
    if (this.phase === 'over') return;
    this.phase = 'over';
    this.channel.send({ type: 'cancel', reason });
    this.view.state = 'cancelled';
    this.view.why = reason;
    this.receiver.changed(this);
    this.channel.close(new ClawError('STREAM_RESET', reason, { refusal: 'CANCELLED' }));
    // file-service.ts discards the staging again once this settled, and says when it cannot.
    this.settled.then(() => rm(this.dir, { recursive: true, force: true })).catch(() => undefined);
  }

  private async onFrame(f: ChannelFrame): Promise<void> {
    if (this.phase === 'over') return;
    if (f.type === 'offer' && this.phase === 'offer') return this.onOffer(f);
    if (f.type === 'data' && this.phase === 'data')
      return this.onData(f.index, f.offset, [f.bytes], f.bytes.length);
    if (f.type === 'data-parts' && this.phase === 'data')
      return this.onData(f.index, f.offset, f.parts, f.length);
    if (f.type === 'digest' && this.phase === 'data') return this.onDigest(f.index, f.sha256);
    if (f.type === 'cancel') {
      this.phase = 'over';
      this.view.state = 'cancelled';
      this.view.why = `cancelled by ${this.peer.name}: ${f.reason}`;
      this.receiver.changed(this);
      return this.channel.close();
    }
    throw new ClawError('PROTOCOL', `unexpected ${f.type} frame on a files stream`);
  }

  private async onOffer(f: Extract<FileFrame, { type: 'offer' }>): Promise<void> {
    if (this.id && f.id !== this.id) throw new ClawError('PROTOCOL', 'an offer changed its ID halfway');
    this.id = f.id;
    // The offer is held in memory while the transfer runs: its size is bounded per offer, and all the
    // offers held at once are bounded by the receiver (a sender told BUSY tries again later).
    const bytes = Buffer.byteLength(JSON.stringify(f.entries), 'utf8');
    this.offerJsonBytes += bytes;
    if (this.offerJsonBytes > MAX_OFFER_BYTES) {
      this.refuse('BAD_OFFER', `an offer longer than ${gib(MAX_OFFER_BYTES)}: send fewer files at once`);
      return;
    }
    if (!this.receiver.holdOffer(bytes)) {
      this.refuse('BUSY', 'receiving as many offers at once as it may; try again when they are done');
      return;
    }
    this.heldOfferBytes += bytes;
    this.entries.push(...f.entries);
    if (this.entries.length > MAX_ENTRIES) throw new ClawError('PROTOCOL', 'an offer with too many entries');
    if (f.more) return;
    const { store } = this.receiver;
    const entries = this.entries;
    this.view.id = this.id;
    this.view.files = entries.filter((e) => e.kind === 'file').length;
    this.fileCount = this.view.files;
    this.view.bytes = offerBytes(entries);
    this.view.names = entries.filter((e) => !e.path.includes('/')).map((e) => e.path);
    const done = await store.completed(this.peer.fingerprint, this.id);
    if (done) {
      this.phase = 'over';
      this.channel.send({ type: 'complete', treeHash: done.treeHash, received: done.received });
      return;
    }
    const names = checkOfferNames(entries, {
      caseInsensitive: await store.caseInsensitive(),
      windows: process.platform === 'win32',
    });
    if (!names.ok) {
      this.refuse('BAD_NAME', `${names.reason}: refused, nothing was written`);
      return;
    }
    this.local = names.local;
    this.renamed = names.renamed;
    this.dir = store.stagingDir(this.peer.fingerprint, this.id);
    await this.receiver.claim(this.dir, this);
    // Asked after the claim: a cancel from now on finds this session, one before it left the mark.
    if (store.wasCancelled(this.peer.fingerprint, this.id)) {
      this.phase = 'over';
      this.view.state = 'cancelled';
      this.view.why = 'cancelled by the owner of this node before';
      this.receiver.changed(this);
      this.channel.send({ type: 'cancel', reason: 'cancelled by the owner' });
      await rm(this.dir, { recursive: true, force: true });
      return;
    }
    const { held, verified, fresh } = await readStaged(this.dir, this.entries, store, this.digests);
    const heldBytes = held.reduce((n, b) => n + b, 0);
    const need = this.view.bytes - heldBytes;
    // What this transfer takes when whole (its bytes, each entry's own cost, its offer.json), checked
    // and reserved as one step among offers arriving together: each is told the disk the others left.
    const meta = entries.length * ENTRY_DISK_BYTES + this.offerJsonBytes;
    const total = offerDiskBytes(entries, this.offerJsonBytes);
    const refusal = await store.admit(async () => {
      const usage = await store.usage(this.peer.fingerprint, this.dir);
      if (usage + total > store.quota) {
        return this.refuse(
          'QUOTA',
          `${this.peer.name} may keep at most ${gib(store.quota)} here and holds ${gib(usage)}; this transfer takes ${gib(total)}: refused, nothing was written (move received files out with clawbridge file get)`,
        );
      }
      const free = await store.freeBytes();
      const promised = store.reservedBytes(this.dir);
      if (free - promised - need - meta < store.reserve) {
        const others = promised > 0 ? ` (${gib(promised)} of it promised to transfers arriving)` : '';
        return this.refuse(
          'NO_SPACE',
          `not enough free disk: ${gib(need + meta)} needed, ${gib(free)} free${others} and ${gib(store.reserve)} kept in reserve: refused, nothing was written`,
        );
      }
      store.reserveFor(this.dir, {
        from: this.peer.fingerprint,
        total,
        outstanding: () => this.view.bytes - this.view.bytesDone + meta,
      });
      this.reserved = true;
      return undefined;
    });
    if (refusal !== undefined || !this.reserved) return;
    if (fresh) await startStaging(this.dir, entries, store);
    this.held = held;
    this.verified = verified;
    this.arrived = verified.size;
    // Empty files are whole already.
    for (const [i, e] of entries.entries()) {
      if (e.kind === 'file' && e.size === 0 && !verified.has(i)) {
        await writeFile(this.fileOf(i), '');
        this.arrived++;
        this.markVerified(i);
      }
    }
    this.view.bytesDone = heldBytes;
    this.view.filesDone = this.verified.size;
    this.phase = 'data';
    this.receiver.changed(this);
    // A big transfer gets its window at once (FILES_RECEIVE_WINDOW); `stream` is a mux stream in the
    // agent, something else in tests.
    const raise = (this.stream as { raiseReceiveWindow?: (bytes: number) => unknown }).raiseReceiveWindow;
    if (need >= RAISE_FROM_BYTES && typeof raise === 'function') {
      raise.call(this.stream, Math.min(FILES_RECEIVE_WINDOW, need));
    }
    this.channel.send({
      type: 'want',
      have: held.flatMap((b, i) => (b > 0 || verified.has(i) ? [[i, b] as [number, number]] : [])),
    });
    await this.finishIfWhole();
  }

  private fileOf(i: number): string {
    return stagedFile(this.dir, i);
  }

  /** Staging's `verified` line of file `i`: its index, and its SHA-256 when the offer had none. */
  private markOf(i: number): string {
    return verifiedMark(i, this.digests.get(i));
  }

  private refuse(code: FileRefusalCode, reason: string): false {
    this.phase = 'over';
    this.view.state = 'failed';
    this.view.why = reason;
    this.receiver.changed(this);
    this.channel.send({ type: 'refuse', code, reason: reason.slice(0, 500) });
    // The sender ends the stream once it read why.
    return false;
  }

  /** A DATA frame: `length` bytes of file `index` at `offset`, in `parts` (views, not copied). */
  private async onData(index: number, offset: number, parts: Uint8Array[], length: number): Promise<void> {
    this.writes.throwIfWriteFailed();
    const e = this.entries[index];
    if (!e || e.kind !== 'file') throw new ClawError('PROTOCOL', `DATA for entry ${index}, which is no file`);
    if (this.awaiting) {
      throw new ClawError('PROTOCOL', `DATA for ${index} before the DIGEST of ${this.awaiting.index}`);
    }
    if (this.verified.has(index)) throw new ClawError('PROTOCOL', `DATA for ${index}, verified already`);
    const have = this.held[index]!;
    if (offset !== have) throw new ClawError('PROTOCOL', `DATA for ${index} at ${offset}, expected ${have}`);
    if (have + length > e.size) throw new ClawError('PROTOCOL', `DATA past the end of ${index}`);
    if (this.current && this.current.index !== index) {
      throw new ClawError('PROTOCOL', `DATA for ${index} before ${this.current.index} was whole`);
    }
    this.view.bytesDone += length;
    this.meter.add(length);
    if (!this.current && have === 0 && length === e.size) {
      return this.wholeInOneFrame(index, e, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    }
    if (!this.current) this.current = await openBigFile(this.fileOf(index), index, have);
    const cur = this.current;
    for (const p of parts) cur.hash.update(p);
    this.held[index] = have + length;
    // Written in the background: at once when no write is under way, else with every frame that
    // arrives meanwhile in the next writev (WRITE_AHEAD_BYTES); the write releases the frames' bytes
    // once it settled, and nothing released is overwritten before (transport/receive-slabs.ts).
    cur.batch.push(...parts);
    cur.batchBytes += length;
    this.writes.writeBatch(cur);
    while (cur.writing && cur.writingBytes + cur.batchBytes >= WRITE_AHEAD_BYTES) await cur.writing;
    if (this.held[index] < e.size) return this.progress();
    this.current = undefined;
    await this.writes.writesDone(cur);
    await cur.fh.close();
    this.writes.throwIfWriteFailed();
    const digest = cur.hash.digest('hex');
    if (e.sha256 === undefined) {
      this.awaiting = { index, digest };
      return this.progress();
    }
    if (digest !== e.sha256) return this.mismatch(index, e);
    this.arrived++;
    this.markVerified(index);
    this.progress();
    await this.finishIfWhole();
  }

  /**
   * A file whose bytes came in one frame (a small file): checked in memory, then written in the
   * background while the next frames are read, at most WRITES_AHEAD at once; it counts as verified
   * (and is recorded so in staging) only once written.
   */
  private async wholeInOneFrame(
    index: number,
    e: Extract<OfferEntry, { kind: 'file' }>,
    bytes: Uint8Array,
  ): Promise<void> {
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (e.sha256 === undefined) {
      // Written now; verified (and marked) once its DIGEST matched and the write completed.
      this.held[index] = e.size;
      const written = writeFile(this.fileOf(index), bytes, { mode: 0o600 }).catch((err: unknown) => {
        this.writes.fail(err);
      });
      this.writes.track(written);
      this.awaiting = { index, digest, written };
      if (this.writes.smallFiles.size >= WRITES_AHEAD) await Promise.race(this.writes.smallFiles);
      return this.progress();
    }
    if (digest !== e.sha256) return this.mismatch(index, e);
    this.held[index] = e.size;
    this.arrived++;
    const w = writeFile(this.fileOf(index), bytes, { mode: 0o600 }).then(
      () => {
        if (this.phase !== 'over') this.markVerified(index);
      },
      (err: unknown) => {
        this.writes.fail(err);
      },
    );
    this.writes.track(w);
    if (this.writes.smallFiles.size >= WRITES_AHEAD) await Promise.race(this.writes.smallFiles);
    this.progress();
    await this.finishIfWhole();
  }

  /**
   * The DIGEST of a file offered without its SHA-256, after its last byte: it is verified when it
   * matches what arrived, thrown away (and the sender told) when not.
   */
  private async onDigest(index: number, sha256: string): Promise<void> {
    this.writes.throwIfWriteFailed();
    const e = this.entries[index];
    const a = this.awaiting;
    if (!e || e.kind !== 'file' || e.sha256 !== undefined || a?.index !== index) {
      throw new ClawError('PROTOCOL', `DIGEST for ${index}, which is not a file whose bytes all arrived`);
    }
    this.awaiting = undefined;
    if (a.digest !== sha256) {
      await a.written;
      return this.mismatch(index, e);
    }
    this.digests.set(index, sha256);
    this.arrived++;
    if (a.written) {
      this.writes.track(
        a.written.then(() => {
          if (this.phase !== 'over' && !this.writes.error) this.markVerified(index);
        }),
      );
    } else this.markVerified(index);
    this.progress();
    await this.finishIfWhole();
  }

  private async mismatch(index: number, e: OfferEntry): Promise<void> {
    await rm(this.fileOf(index), { force: true });
    this.held[index] = 0;
    const why = `${JSON.stringify(e.path)} did not match its SHA-256 when it arrived (it changed while it was sent?); it was thrown away`;
    this.channel.send({ type: 'failed', index, reason: why });
    throw new ClawError('PROTOCOL', why);
  }

  private lastShown = 0;
  private progress(): void {
    const now = Date.now();
    if (now - this.lastShown < 200) return;
    this.lastShown = now;
    this.view.rate = this.meter.rate();
    this.receiver.changed(this);
  }

  private markVerified(i: number): void {
    this.verified.add(i);
    this.view.filesDone = this.verified.size;
    this.toAnnounce.push(i);
    // A mark staging cannot keep (a full disk) ends the session as a failed write does.
    this.announceTimer ??= setTimeout(
      () => background(this.announce(), (err) => this.writes.fail(err)),
      VERIFIED_BATCH_MS,
    );
  }

  /** Records the verified indices in staging, then tells the sender. */
  private async announce(): Promise<void> {
    clearTimeout(this.announceTimer);
    this.announceTimer = undefined;
    const list = this.toAnnounce.splice(0);
    if (list.length === 0) return;
    if (this.phase !== 'over') await appendVerified(this.dir, list.map((i) => this.markOf(i)).join(''));
    this.channel.send({ type: 'verified', indices: list });
  }

  private async finishIfWhole(): Promise<void> {
    if (this.arrived < this.fileCount || this.phase !== 'data') return;
    // Every byte is here: the small files still being written land first.
    await Promise.all(this.writes.smallFiles);
    this.writes.throwIfWriteFailed();
    if (this.verified.size < this.fileCount || this.phase !== 'data') return;
    this.phase = 'over';
    await this.announce();
    const { store } = this.receiver;
    const rid =
      `${isoTime().slice(0, 19).replace(/[T:]/g, '-')}-${randomBytes(3).toString('hex')}`.toLowerCase();
    const hash = treeHash(this.entries, this.digests);
    const meta: ReceivedMeta = {
      id: rid,
      from: this.peer.fingerprint,
      fromName: this.peer.name,
      transfer: this.id,
      receivedAt: isoTime(),
      treeHash: hash,
      files: this.view.files,
      bytes: this.view.bytes,
      top: this.local.filter((l) => !l.includes(0x2f)).map((l) => l.toString()),
      renamed: this.renamed,
    };
    await store.publish(async (tree) => {
      const written = await writeTree(tree, this.entries, this.local, (i) => this.fileOf(i));
      if (written.skipped.length > 0) meta.skipped = written.skipped;
    }, meta);
    await store.remember(this.peer.fingerprint, this.id, rid, hash);
    await rm(this.dir, { recursive: true, force: true });
    this.view.state = 'done';
    this.view.received = rid;
    this.view.treeHash = hash;
    this.view.bytesDone = this.view.bytes;
    this.receiver.changed(this);
    this.channel.send({ type: 'complete', treeHash: hash, received: rid });
  }
}

function gib(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}
