/**
 * The sending side of the `files` service (ADR 0051). `send` walks and hashes what was named
 * (tree-walk.ts), saves the transfer in HOME/files/outgoing/ (so an agent killed halfway carries on
 * when it starts again) and runs it: opens a `files` stream to the peer over whichever path is up,
 * offers the entries, and sends, back to back, what the receiver's WANT says it lacks. A stream that
 * ends early (a path that died, a relay restart, the receiver's agent restarting) is opened again and
 * the receiver's WANT says where to carry on; nothing is sent twice that arrived. It is done only once
 * the receiver's COMPLETE carries the same tree hash as this side's.
 *
 * The same files sent to the same peer again while an earlier transfer of them is unfinished (failed,
 * waiting, or saved by an agent that was killed) continue that transfer under its ID: only what is
 * missing is sent.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ChangeSource, PeerDirectory, ReadonlyPeerEntry, PeerStreams } from '../links/ports.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { ConnectionHandle } from '../connections/connection-table.js';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, refusalOf } from '../core/errors.js';
import { diskProblem } from '../core/file-errors.js';
import {
  DATA_WIRE_HEADER_BYTES,
  FILES_PROTOCOL_VERSION,
  FILES_SERVICE,
  MAX_OFFER_BYTES,
  offerFrames,
  TRANSFER_ID,
  type FilesVersion,
  type OfferEntry,
} from '../protocol/file-frames.js';
import { FileChannel, type ChannelFrame } from './file-channel.js';
import { KEPT_TRANSFERS, RateMeter, type TransferView } from './transfer-view.js';
import { offerBytes, type FileStore } from './file-store.js';
import { frameBuffers, ReadAhead, type SendJob } from './read-ahead.js';
import { shownSource, sourcePath } from './source-path.js';
import { hashFile, treeHash, walkTree } from './tree-walk.js';
import { isoTime } from '../core/iso-time.js';

/** Longest wait between two attempts while the peer has a link, in ms. */
const RETRY_MAX_MS = 5_000;
/** How often progress is announced at most, in ms. */
const PROGRESS_MS = 200;

export type FilePeers = Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'openStream'> & ChangeSource;

export interface FileSenderDeps {
  log: Pick<Logger, 'warn' | 'info'>;
  peers: FilePeers;
  store: Pick<FileStore, 'outgoing'>;
  connections?: ConnectionsOpened | undefined;
}

/** What outgoing/<id>.json keeps. */
interface SavedTransfer {
  id: string;
  peer: string;
  peerName: string;
  manifest: string;
  entries: OfferEntry[];
  sources: Array<string | null>;
  /** Modification times of the files hashed while sent (tree-walk.ts `mtimes`), by entry index. */
  mtimes?: Array<number | null>;
  /** SHA-256 of each file hashed while sent, by entry index, as its DIGEST said (ADR 0067). */
  digests?: Record<string, string>;
  startedAt: string;
  state: 'active' | 'failed';
  why?: string;
}

/** An error that trying again will not fix. */
class Final extends Error {}
/** The receiver cancelled the transfer (its CANCEL, or its reset of the stream saying so): final. */
class PeerCancelled extends Final {}

/**
 * What a receiver says when its owner cancels (files-api.ts, file-receiving-session.ts), this
 * release's and those before: the sender words it as who did it rather than repeating it.
 */
const OWNER_CANCELS = new Set([
  'cancelled by the owner',
  'cancelled by the owner; what had arrived was removed',
  'the receiver cancelled this transfer',
]);

/** `b's owner cancelled the transfer`, or with another reason `b cancelled the transfer: REASON`. */
function peerCancelled(name: string, reason: string | undefined): PeerCancelled {
  if (reason === undefined || reason === '' || OWNER_CANCELS.has(reason)) {
    return new PeerCancelled(`${name}'s owner cancelled the transfer`);
  }
  return new PeerCancelled(`${name} cancelled the transfer: ${reason}`);
}

export class FileSender {
  readonly events = new Emitter<{ changed: [TransferView] }>();
  readonly transfers = new Map<string, OutgoingTransfer>();
  private stopped = false;

  constructor(readonly deps: FileSenderDeps) {}

  /** Loads the transfers a previous agent left unfinished; the active ones carry on. */
  async start(): Promise<void> {
    for (const name of await readdir(this.deps.store.outgoing).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue;
      try {
        const saved = JSON.parse(
          await readFile(join(this.deps.store.outgoing, name), 'utf8'),
        ) as SavedTransfer;
        if (!TRANSFER_ID.test(saved.id)) continue;
        const t = new OutgoingTransfer(this, saved);
        this.transfers.set(saved.id, t);
        if (saved.state === 'active') t.run();
      } catch (err) {
        this.deps.log.warn(`files: cannot read the saved transfer ${name}: ${errorMessage(err)}`);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.transfers.values()) t.halt();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Sends `paths` to the peer `entry` (or carries on an unfinished transfer of the same files). */
  async send(
    entry: { readonly fingerprint: string; readonly record: Pick<ReadonlyPeerEntry['record'], 'name'> },
    paths: readonly string[],
  ): Promise<TransferView> {
    const walked = await walkTree(paths);
    const mtimes = walked.mtimes.map((m) => m ?? null);
    // The same files: the same entries (a small file's SHA-256 included) and, for the files hashed while
    // sent, the same modification times (with the sizes in the entries).
    const offered = JSON.stringify(walked.entries);
    if (Buffer.byteLength(offered, 'utf8') > MAX_OFFER_BYTES) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `the names of ${walked.entries.length} entries take more than ${MAX_OFFER_BYTES / 1024 ** 2} MiB to offer: send fewer at once`,
      );
    }
    const manifest = createHash('sha256').update(offered).update(JSON.stringify(mtimes)).digest('hex');
    const sources = walked.sources.map((s) => s ?? null);
    for (const t of this.transfers.values()) {
      if (t.saved.peer !== entry.fingerprint || t.saved.manifest !== manifest) continue;
      if (t.view.state === 'done' || t.view.state === 'cancelled') continue;
      t.saved.sources = sources;
      t.saved.mtimes = mtimes;
      t.contents = walked.contents;
      t.skipped = walked.skipped;
      if (!t.running) {
        t.saved.state = 'active';
        delete t.saved.why;
        await t.save();
        // Answered as waiting (not as the failure before): the caller follows it from here.
        t.view.state = 'waiting';
        delete t.view.why;
        t.run();
      }
      return t.view;
    }
    const saved: SavedTransfer = {
      id: randomBytes(16).toString('hex'),
      peer: entry.fingerprint,
      peerName: entry.record.name,
      manifest,
      entries: walked.entries,
      sources,
      mtimes,
      digests: {},
      startedAt: isoTime(),
      state: 'active',
    };
    const t = new OutgoingTransfer(this, saved);
    t.skipped = walked.skipped;
    t.contents = walked.contents;
    this.transfers.set(saved.id, t);
    // The list keeps the latest finished ones only (a Map iterates oldest first).
    for (const [id, old] of this.transfers) {
      if (this.transfers.size <= KEPT_TRANSFERS) break;
      if (old.view.state === 'done' || old.view.state === 'cancelled') this.transfers.delete(id);
    }
    await t.save();
    t.run();
    return t.view;
  }

  cancel(id: string, reason: string): boolean {
    const t = this.transfers.get(id);
    if (!t || t.view.state === 'done' || t.view.state === 'cancelled') return false;
    t.cancel(reason);
    return true;
  }
}

export class OutgoingTransfer {
  readonly view: TransferView;
  skipped: Array<{ path: string; why: string }> = [];
  /** Small files' bytes the walk read (sent from memory; not kept past the transfer's end). */
  contents: Array<Buffer | undefined> | undefined;
  running = false;
  private channel: FileChannel | undefined;
  private halted = false;
  private cancelled: string | undefined;
  private readonly meter = new RateMeter();
  private lastShown = 0;
  /** File indices the receiver said it verified (WANT: whole ones; VERIFIED), as it said on this stream. */
  private verified = new Set<number>();
  private readonly files: number;
  /** The files protocol version spoken to the peer (2 once it refused 3). */
  private version: FilesVersion = FILES_PROTOCOL_VERSION;

  constructor(
    private readonly sender: FileSender,
    readonly saved: SavedTransfer,
  ) {
    this.files = saved.entries.filter((e) => e.kind === 'file').length;
    this.view = {
      id: saved.id,
      direction: 'out',
      peer: { name: saved.peerName, fingerprint: saved.peer },
      state: saved.state === 'failed' ? 'failed' : 'waiting',
      files: this.files,
      bytes: offerBytes(saved.entries),
      filesDone: 0,
      bytesDone: 0,
      rate: 0,
      names: saved.entries.filter((e) => !e.path.includes('/')).map((e) => e.path),
      startedAt: saved.startedAt,
      ...(saved.why ? { why: saved.why } : {}),
    };
  }

  private get file(): string {
    return join(this.sender.deps.store.outgoing, `${this.saved.id}.json`);
  }

  async save(): Promise<void> {
    await writeFile(this.file, JSON.stringify(this.saved), { mode: 0o600 }).catch((err: unknown) => {
      throw diskProblem(this.file, err);
    });
  }

  halt(): void {
    this.halted = true;
    this.channel?.close(new ClawError('STREAM_RESET', 'the sending agent stopped'));
  }

  cancel(reason: string): void {
    this.cancelled = reason;
    if (this.channel?.isOpen) this.channel.send({ type: 'cancel', reason });
    this.channel?.close(new ClawError('STREAM_RESET', reason, { refusal: 'CANCELLED' }));
    this.set('cancelled', reason);
    this.contents = undefined;
    this.saved.entries = [];
    this.saved.sources = [];
    // A file left behind is read at the next start as a cancelled transfer's, with nothing to send.
    rm(this.file, { force: true }).catch((err: unknown) =>
      this.sender.deps.log.warn(`files: cannot remove ${this.file}: ${errorMessage(err)}`),
    );
  }

  private set(state: TransferView['state'], why?: string): void {
    this.view.state = state;
    if (why === undefined) delete this.view.why;
    else this.view.why = why;
    this.view.rate = state === 'sending' ? this.meter.rate() : 0;
    this.sender.events.emit('changed', this.view);
  }

  run(): void {
    if (this.running) return;
    this.running = true;
    this.loop()
      .catch((err: unknown) => {
        // The loop says each failure it expects; one it did not (a full disk saving it) fails it here.
        this.sender.deps.log.warn(
          `files: the transfer to ${this.saved.peerName} failed: ${errorMessage(err)}`,
        );
        this.set('failed', errorMessage(err));
      })
      .finally(() => {
        this.running = false;
      });
  }

  private async loop(): Promise<void> {
    let waitMs = 0;
    const since = Date.now();
    const name = this.saved.peerName;
    while (!this.halted && !this.cancelled) {
      const entry = this.sender.deps.peers.peerEntries().find((e) => e.fingerprint === this.saved.peer);
      if (!entry) {
        // A transfer an agent carries on at its start runs before the peers are loaded (run-agent.ts
        // starts files first): the peer counts as gone only when RETRY_MAX_MS of changes did not bring it.
        if (Date.now() - since < RETRY_MAX_MS) {
          await this.nextChange();
          continue;
        }
        return this.fail(`${name} is no longer a peer of this node`);
      }
      if (!entry.links.active) {
        if (this.view.state !== 'waiting') this.set('waiting', `waiting for ${name} to be reachable…`);
        await this.nextChange();
        continue;
      }
      try {
        await this.attempt(entry);
        return;
      } catch (err) {
        if (this.halted || this.cancelled) return;
        if (err instanceof PeerCancelled) return this.cancelledByPeer(err.message);
        if (err instanceof Final) return this.fail(err.message);
        waitMs = Math.min(RETRY_MAX_MS, Math.max(500, waitMs * 2));
        this.set('waiting', `${errorMessage(err)}; carrying on when ${name} is reachable again...`);
        await sleep(waitMs);
      }
    }
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => {
      const off = this.sender.deps.peers.onChanged(() => {
        off();
        clearTimeout(timer);
        resolve();
      });
      const timer = setTimeout(() => {
        off();
        resolve();
      }, RETRY_MAX_MS);
    });
  }

  /**
   * The receiver cancelled: as final as the owner's own cancel (nothing is saved to carry on; the same
   * files sent again are a new transfer).
   */
  private async cancelledByPeer(why: string): Promise<void> {
    this.cancelled = why;
    this.contents = undefined;
    this.saved.entries = [];
    this.saved.sources = [];
    // Gone from the disk before anyone hears it ended: nothing is left to carry on.
    await rm(this.file, { force: true }).catch(() => undefined);
    this.set('cancelled', why);
  }

  private async fail(why: string): Promise<void> {
    this.contents = undefined;
    this.saved.state = 'failed';
    this.saved.why = why;
    await this.save().catch(() => undefined);
    this.set('failed', why);
  }

  /** One stream: offer, send what is wanted, wait for COMPLETE. Throws to be tried again, Final not. */
  private async attempt(entry: ReadonlyPeerEntry): Promise<void> {
    const { peers, connections } = this.sender.deps;
    const name = this.saved.peerName;
    let opened: Awaited<ReturnType<FilePeers['openStream']>>;
    try {
      opened = await peers.openStream(entry, FILES_SERVICE, { v: this.version });
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal === 'BAD_REQUEST' && this.version === FILES_PROTOCOL_VERSION) {
        // A release before times and byte-exact names: spoken to in its version, without them.
        this.version = 2;
        return this.attempt(entry);
      }
      if (refusal === 'PERMISSION_DENIED') throw new Final(errorMessage(err));
      if (refusal === 'UNKNOWN_SERVICE') throw new Final(`${name} runs a release that cannot receive files`);
      if (refusal === 'BAD_REQUEST') {
        throw new Final(
          `${name} runs a release with another files protocol (${errorMessage(err)}): update both nodes to the same release`,
        );
      }
      throw err;
    }
    const { stream } = opened;
    let want: ((have: Map<number, number>) => void) | undefined;
    let complete: ((c: { treeHash: string; received: string }) => void) | undefined;
    let failWith: ((e: Error) => void) | undefined;
    /** Set once the receiver said it cancelled (its CANCEL, or its reset saying so). */
    let cancelledBy: PeerCancelled | undefined;
    const wanted = new Promise<Map<number, number>>((resolve, reject) => {
      want = resolve;
      failWith = reject;
    });
    const completed = new Promise<{ treeHash: string; received: string }>((resolve, reject) => {
      complete = resolve;
      const prev = failWith!;
      failWith = (e) => {
        prev(e);
        reject(e);
      };
    });
    wanted.catch(() => undefined);
    completed.catch(() => undefined);
    const onFrame = (f: ChannelFrame) => {
      if (f.type === 'want') want?.(new Map(f.have));
      else if (f.type === 'complete') complete?.(f);
      else if (f.type === 'refuse' && f.code === 'BUSY')
        // Too many offers arriving there at once: tried again like a path that died.
        failWith?.(new ClawError('STREAM_REJECTED', `${name} is busy: ${f.reason}`));
      else if (f.type === 'refuse') failWith?.(new Final(`${name} refused the files: ${f.reason}`));
      else if (f.type === 'failed')
        failWith?.(new Final(`${name}: ${f.reason}; run file send again to send it anew`));
      else if (f.type === 'cancel') failWith?.((cancelledBy ??= peerCancelled(name, f.reason)));
      else if (f.type === 'verified') {
        for (const i of f.indices) this.verified.add(i);
        this.view.filesDone = this.verified.size;
        this.progress();
      } else failWith?.(new ClawError('PROTOCOL', `unexpected ${f.type} frame from ${name}`));
    };
    const listed: ConnectionHandle | undefined = connections?.open({
      kind: 'files-out',
      peer: { name, fingerprint: this.saved.peer },
      from: this.view.names.join(', ').slice(0, 200),
      to: `file inbox on ${name}`,
      via: { path: opened.path, address: opened.remote },
      ending: 'the transfer carries on when the peer is reachable again',
      close: (reason) => this.cancel(reason),
    });
    const channel = new FileChannel(
      stream,
      onFrame,
      (err) => {
        // The receiver's cancel resets the stream at once: its code says so even when the CANCEL frame
        // before it was not read.
        if (refusalOf(err) === 'CANCELLED' && !this.cancelled) {
          const said = err instanceof ClawError ? err.peerReason : undefined;
          failWith?.((cancelledBy ??= peerCancelled(name, said)));
        } else failWith?.(err ?? new ClawError('LINK_CLOSED', 'the files stream closed'));
        listed?.end(err ? errorMessage(err) : undefined);
      },
      this.version,
    );
    this.channel = channel;
    let counted = 0;
    const count = () => {
      const n = stream.bytesOut;
      if (n > counted) listed?.bytesOut(n - counted);
      counted = n;
    };
    try {
      for (const frame of offerFrames(this.saved.id, this.offered())) {
        if (!channel.send(frame)) await channel.drained();
      }
      const early = await Promise.race([wanted, completed]);
      if (early instanceof Map) {
        await this.pump(channel, early, count);
      }
      const done = await completed;
      const mine = treeHash(this.saved.entries, await this.allDigests());
      if (done.treeHash !== mine) {
        throw new Final(
          `${name} reports another tree hash (${done.treeHash.slice(0, 12)}…, here ${mine.slice(0, 12)}…)`,
        );
      }
      count();
      channel.close();
      this.view.received = done.received;
      this.view.treeHash = done.treeHash;
      this.view.bytesDone = this.view.bytes;
      this.view.filesDone = this.files;
      await rm(this.file, { force: true });
      // Only the view is kept now: the entries and sources may be long.
      this.saved.entries = [];
      this.saved.sources = [];
      this.contents = undefined;
      this.set('done');
    } catch (err) {
      // The stream (and its line in connections and the audit log) ends with why: a refusal's words.
      if (channel.isOpen) channel.close(new ClawError('STREAM_RESET', errorMessage(err)));
      // The receiver's cancel closes the stream too: whatever noticed the close first (the sending
      // loop's "stream closed"), the cancel is why, and it is final.
      throw cancelledBy ?? err;
    } finally {
      count();
    }
  }

  /**
   * The entries as offered in this stream's version: version 2 knows no times and no names in bytes.
   * @throws Final when a name is no UTF-8 and the peer speaks 2
   */
  private offered(): OfferEntry[] {
    if (this.version === FILES_PROTOCOL_VERSION) return this.saved.entries;
    return this.saved.entries.map((e) => {
      if (e.raw !== undefined || (e.kind === 'link' && e.rawTarget !== undefined)) {
        throw new Final(
          `${this.saved.peerName} runs an older release, which cannot take the name ${JSON.stringify(e.path)} (it is no UTF-8): update it`,
        );
      }
      if (e.kind === 'file') {
        const { mtime: _m, ...rest } = e;
        return rest;
      }
      if (e.kind === 'dir') return { path: e.path, kind: 'dir' as const };
      return e;
    });
  }

  /**
   * The SHA-256 of every file hashed while sent, by index: as sent in its DIGEST, or (a file the receiver
   * verified while an agent killed since held the digest) hashed from its source now.
   */
  private async allDigests(): Promise<Map<number, string>> {
    const digests = new Map(Object.entries(this.saved.digests ?? {}).map(([i, d]) => [Number(i), d]));
    for (const [i, e] of this.saved.entries.entries()) {
      if (e.kind !== 'file' || e.sha256 !== undefined || digests.has(i)) continue;
      const source = this.saved.sources[i];
      if (!source) throw new Final(`no source for ${e.path}`);
      digests.set(i, await hashFile(sourcePath(source), 0, e.size));
    }
    return digests;
  }

  /** Sends every byte the receiver lacks, file after file, without waiting between them. */
  private async pump(channel: FileChannel, have: Map<number, number>, count: () => void): Promise<void> {
    const { entries, sources } = this.saved;
    let held = 0;
    this.verified = new Set();
    for (const [i, e] of entries.entries()) {
      if (e.kind !== 'file') continue;
      const h = have.get(i) ?? 0;
      held += h;
      if (h === e.size && have.has(i)) this.verified.add(i);
    }
    this.view.bytesDone = held;
    this.view.filesDone = this.verified.size;
    this.view.resumedAt ??= held;
    this.set('sending');
    const jobs: SendJob[] = [];
    // Files offered without their SHA-256 are hashed as their frames go (one read of each), from the
    // first byte: the part the receiver holds already is hashed from the source first.
    const hashing = new Map<number, { hash: Hash; size: number }>();
    const digests = (this.saved.digests ??= {});
    for (const [i, e] of entries.entries()) {
      if (e.kind !== 'file') continue;
      const from = have.get(i) ?? 0;
      if (from >= e.size) continue;
      const bytes = this.contents?.[i];
      const source = sources[i] ?? null;
      if (!source && !bytes) throw new Final(`no source for ${e.path}`);
      const mtimeMs = e.sha256 === undefined ? (this.saved.mtimes?.[i] ?? undefined) : undefined;
      jobs.push({ index: i, source, from, size: e.size, bytes, mtimeMs });
      if (e.sha256 === undefined) {
        delete digests[i];
        const hash = createHash('sha256');
        if (from > 0)
          await hashPrefix(hash, sourcePath(source!), from).catch((err: unknown) => {
            throw new Final(`cannot read ${shownSource(source!)}: ${errorMessage(err)}`);
          });
        hashing.set(i, { hash, size: e.size });
      }
    }
    // Read ahead of the stream: the disk's waits overlap the sending (read-ahead.ts).
    const reads = new ReadAhead(jobs, (why) => new Final(why));
    try {
      for (;;) {
        if (!channel.isOpen) throw new ClawError('LINK_CLOSED', 'the files stream closed');
        const frame = await reads.next();
        if (!frame) break;
        if (!channel.isOpen) throw new ClawError('LINK_CLOSED', 'the files stream closed');
        const { pooled } = frame;
        const hashed = hashing.get(frame.index);
        // Hashed before the buffer is handed on: it is reused once the stream took it.
        hashed?.hash.update(
          frame.wire.subarray(DATA_WIRE_HEADER_BYTES, DATA_WIRE_HEADER_BYTES + frame.length),
        );
        frame.wire[4] = this.version; // the version byte (read-ahead writes this release's)
        let ok = channel.sendWire(frame.wire, pooled ? () => frameBuffers.give(pooled) : undefined);
        if (hashed && frame.offset + frame.length === hashed.size) {
          const sha256 = hashed.hash.digest('hex');
          hashing.delete(frame.index);
          digests[frame.index] = sha256;
          ok = channel.send({ type: 'digest', index: frame.index, sha256 }) && ok;
        }
        this.view.bytesDone += frame.length;
        this.view.bytesSent = (this.view.bytesSent ?? 0) + frame.length;
        this.meter.add(frame.length);
        this.progress();
        if (!ok) {
          count();
          await channel.drained();
        }
      }
    } finally {
      await reads.dispose();
    }
    // The digests sent are kept: a restarted agent needs not hash those files again for the tree hash.
    await this.save();
  }

  private progress(): void {
    const now = Date.now();
    if (now - this.lastShown < PROGRESS_MS) return;
    this.lastShown = now;
    this.view.rate = this.meter.rate();
    this.sender.events.emit('changed', this.view);
  }
}

/** Feeds the first `bytes` of the file at `path` into `hash` (a resumed file's part already sent). */
async function hashPrefix(hash: Hash, path: string | Buffer, bytes: number): Promise<void> {
  let n = 0;
  for await (const chunk of createReadStream(path, {
    start: 0,
    end: bytes - 1,
    highWaterMark: 1024 * 1024,
  })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  if (n < bytes) throw new Error(`it is shorter than the ${bytes} bytes sent before`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
