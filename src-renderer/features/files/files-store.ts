/**
 * The window's view of files (docs/api.md §Files and §Shares): the transfers in both
 * directions, what arrived in the file inbox, and this node's shared folders. Read once on
 * (re)connecting; transfers and the inbox are then kept live by the agent's `file.transfer` and
 * `file.received` events. Shares have no event of their own: they are read again after every change
 * made here and, while the Files view is open, every few seconds (`watchShares`), so a share that
 * starts listening or fails shows it.
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type { ReceivedInfo, TransferInfo } from '../../../src-main/files/files-contract.js';
import type { ShareInfo } from '../../../src-main/share/share-contract.js';
import { messageOf, type ApiClient } from '../../api/client.js';
import { ApiError, Listeners, type Disposer } from '../../api/transport.js';
import { serviceKey } from '../../lib/feature-services.js';
import { inBackground } from '../../../src-main/core/background.js';

/** Finished transfers held for the view (the agent keeps up to 200 a direction). */
export const HELD_FINISHED = 50;
/** How often shares are read again while the Files view is open. */
export const SHARE_POLL_MS = 4000;

export interface FilesSnapshot {
  /** `unsupported`: the agent does not know the files methods (an older release). */
  phase: 'loading' | 'ready' | 'unsupported' | 'error';
  /** Why the last read of transfers or the inbox failed. */
  error: string | null;
  /** Newest first. */
  transfers: readonly TransferInfo[];
  /** Oldest first, as `files.list` answers. */
  received: readonly ReceivedInfo[];
  shares: readonly ShareInfo[];
  /** Why the last read of the shares failed (null: read, or the agent has no shares methods). */
  sharesError: string | null;
}

const FINISHED = new Set(['done', 'failed', 'cancelled']);

/** Whether a transfer moves no more. */
export function finished(t: TransferInfo): boolean {
  return FINISHED.has(t.state);
}

/** Whether "Clear finished" takes a transfer away: done or cancelled (a failed one may be carried on). */
export function clearable(t: TransferInfo): boolean {
  return t.state === 'done' || t.state === 'cancelled';
}

/**
 * The transfers with `next` in place of the one with its id (or added): newest first, every one
 * still moving kept and at most HELD_FINISHED finished ones. A finished transfer does not go back to
 * moving from a late event.
 */
export function withTransfer(list: readonly TransferInfo[], next: TransferInfo): TransferInfo[] {
  const held = list.find((t) => t.id === next.id);
  const take = !held || !finished(held) || finished(next);
  const merged = take ? next : held;
  const rest = list.filter((t) => t.id !== next.id);
  return bounded([merged, ...rest]);
}

function bounded(list: TransferInfo[]): TransferInfo[] {
  const sorted = [...list].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  let kept = 0;
  return sorted.filter((t) => !finished(t) || kept++ < HELD_FINISHED);
}

export class FilesStore {
  private snapshot: FilesSnapshot = {
    phase: 'loading',
    error: null,
    transfers: [],
    received: [],
    shares: [],
    sharesError: null,
  };
  private readonly listeners = new Listeners<[]>();
  private readonly disposers: Disposer[] = [];
  private reading = false;
  private readAgain = false;
  private watchers = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly client: ApiClient) {
    const transport = client.transport;
    this.disposers.push(
      transport.onState((state) => {
        if (state.kind === 'connected') inBackground(this.refresh(), console, 'reading the transfers');
      }),
      client.onEvent((event, data) => this.onEvent(event, data)),
    );
    if (transport.state.kind === 'connected') inBackground(this.refresh(), console, 'reading the transfers');
  }

  get = (): FilesSnapshot => this.snapshot;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  private set(patch: Partial<FilesSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.listeners.emit();
  }

  /** Reads transfers, inbox and shares again (a read asked for while one runs runs once after it). */
  async refresh(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      const [transfers, received] = await Promise.all([
        this.client.call('files.transfers', {}),
        this.client.call('files.list', {}),
      ]);
      // Events that came during the read are at least as new as its answer.
      let merged: TransferInfo[] = bounded([...transfers]);
      for (const t of this.snapshot.transfers) if (!transfers.some((x) => x.id === t.id)) merged.push(t);
      merged = bounded(merged);
      this.set({ phase: 'ready', error: null, transfers: merged, received });
    } catch (err) {
      const unsupported = err instanceof ApiError && /unknown method/.test(err.message);
      this.set(
        unsupported
          ? { phase: 'unsupported', error: null }
          : { phase: 'error', error: `Could not read the transfers and received files: ${messageOf(err)}` },
      );
    }
    await this.refreshShares();
    this.reading = false;
    if (this.readAgain) {
      this.readAgain = false;
      await this.refresh();
    }
  }

  /** Reads the shares again. */
  async refreshShares(): Promise<void> {
    try {
      this.set({ shares: await this.client.call('share.list', {}), sharesError: null });
    } catch (err) {
      const unsupported = err instanceof ApiError && /unknown method/.test(err.message);
      this.set({ sharesError: unsupported ? null : `Could not read the shares: ${messageOf(err)}` });
    }
  }

  /** While the returned disposer is not called, the shares are read every SHARE_POLL_MS. */
  watchShares(): Disposer {
    this.watchers++;
    if (this.watchers === 1) {
      inBackground(this.refreshShares(), console, 'reading the shares');
      this.timer = setInterval(() => {
        if (this.client.transport.state.kind === 'connected')
          inBackground(this.refreshShares(), console, 'reading the shares');
      }, SHARE_POLL_MS);
    }
    return () => {
      this.watchers--;
      if (this.watchers === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Sends `paths` (absolute, on the agent's machine) to `peer`; throws the agent's error. */
  async send(
    peer: string,
    paths: string[],
  ): Promise<TransferInfo & { skipped: Array<{ path: string; why: string }> }> {
    const sent = await this.client.call('files.send', { peer, paths });
    this.set({ transfers: withTransfer(this.snapshot.transfers, sent) });
    return sent;
  }

  async cancel(id: string): Promise<void> {
    const t = await this.client.call('files.cancel', { id });
    this.set({ transfers: withTransfer(this.snapshot.transfers, t) });
  }

  /** Forgets the transfers that ended done or cancelled, here and in the agent (failed ones stay). */
  async clearFinished(): Promise<void> {
    await this.client.call('files.clear', {});
    this.set({ transfers: this.snapshot.transfers.filter((t) => !clearable(t)) });
  }

  /** Moves received entries `ids` into `dir`; the inbox is read again. */
  async moveOut(dir: string, ids: string[]) {
    try {
      return await this.client.call('files.get', { dir, ids });
    } finally {
      await this.rereadInbox();
    }
  }

  async remove(ids: string[]): Promise<void> {
    try {
      await this.client.call('files.delete', { ids });
    } finally {
      await this.rereadInbox();
    }
  }

  async stopShare(name: string): Promise<void> {
    await this.client.call('share.remove', { name });
    this.set({ shares: this.snapshot.shares.filter((s) => s.name !== name) });
    await this.refreshShares();
  }

  private async rereadInbox(): Promise<void> {
    try {
      this.set({ received: await this.client.call('files.list', {}) });
    } catch {
      // The next event or reconnect reads it again; the action's own error is what the user sees.
    }
  }

  private onEvent(event: string, data: unknown): void {
    if (event === 'file.transfer' && isTransfer(data)) {
      this.set({ transfers: withTransfer(this.snapshot.transfers, data) });
    } else if (event === 'file.received' && isReceived(data)) {
      const rest = this.snapshot.received.filter((r) => r.id !== data.id);
      this.set({ received: [...rest, data] });
    }
  }

  dispose(): void {
    for (const d of this.disposers) d();
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }
}

function isTransfer(data: unknown): data is TransferInfo {
  const t = data as Partial<TransferInfo> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.id === 'string' &&
    typeof t.state === 'string' &&
    typeof t.startedAt === 'string' &&
    typeof t.peer?.name === 'string' &&
    Array.isArray(t.names)
  );
}

function isReceived(data: unknown): data is ReceivedInfo {
  const r = data as Partial<ReceivedInfo> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.from?.name === 'string' &&
    Array.isArray(r.names)
  );
}

/** The window's one files store, made on first use (lib/feature-services.ts). */
export const FILES = serviceKey('files.store', ({ client }) => new FilesStore(client));
