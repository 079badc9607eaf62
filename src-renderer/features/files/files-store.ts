/**
 * The window's view of files (docs/api.md §Files): the transfers in both directions and what
 * arrived in the file inbox. Read once on (re)connecting (api/agent-store.ts), then kept live by the
 * agent's `file.transfer` and `file.received` events. This node's shared folders are shares-store.ts's.
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type { ReceivedInfo, TransferInfo } from '../../../src-main/files/files-contract.js';
import { agentStore, when, type LiveStore, type Loaded } from '../../api/agent-store.js';
import type { ApiClient } from '../../api/client.js';
import type { Disposer } from '../../api/transport.js';
import { serviceKey } from '../../lib/feature-services.js';

/** Finished transfers held for the view (the agent keeps up to 200 a direction). */
export const HELD_FINISHED = 50;

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

/** What the files store holds (its snapshot adds how the reading stands: agent-store.ts). */
export interface FilesState {
  /** Newest first. */
  transfers: readonly TransferInfo[];
  /** Oldest first, as `files.list` answers. */
  received: readonly ReceivedInfo[];
}

export type FilesSnapshot = Loaded<FilesState>;

/** The transfers and the inbox, and what the window does with them. */
export class FilesStore {
  private readonly store: LiveStore<FilesState>;

  constructor(private readonly client: ApiClient) {
    this.store = agentStore<FilesState>(client, {
      initial: { transfers: [], received: [] },
      what: 'the transfers and received files',
      load: async (call) => {
        const [transfers, received] = await Promise.all([
          call('files.transfers', {}),
          call('files.list', {}),
        ]);
        return { transfers: bounded([...transfers]), received };
      },
      events: [
        when('file.transfer', (s, t) => ({ ...s, transfers: withTransfer(s.transfers, t) })),
        when('file.received', (s, r) => ({
          ...s,
          received: [...s.received.filter((x) => x.id !== r.id), r],
        })),
      ],
    });
  }

  get = (): FilesSnapshot => this.store.get();

  subscribe = (listener: () => void): Disposer => this.store.subscribe(listener);

  /** Reads transfers and the inbox again. */
  refresh(): Promise<void> {
    return this.store.refresh();
  }

  /** Sends `paths` (absolute, on the agent's machine) to `peer`; throws the agent's error. */
  async send(
    peer: string,
    paths: string[],
  ): Promise<TransferInfo & { skipped: Array<{ path: string; why: string }> }> {
    const sent = await this.client.call('files.send', { peer, paths });
    this.store.update((s) => ({ ...s, transfers: withTransfer(s.transfers, sent) }));
    return sent;
  }

  async cancel(id: string): Promise<void> {
    const t = await this.client.call('files.cancel', { id });
    this.store.update((s) => ({ ...s, transfers: withTransfer(s.transfers, t) }));
  }

  /** Forgets the transfers that ended done or cancelled, here and in the agent (failed ones stay). */
  async clearFinished(): Promise<void> {
    await this.client.call('files.clear', {});
    this.store.update((s) => ({ ...s, transfers: s.transfers.filter((t) => !clearable(t)) }));
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

  private async rereadInbox(): Promise<void> {
    try {
      const received = await this.client.call('files.list', {});
      this.store.replace((s) => ({ ...s, received }));
    } catch {
      // The next event or reconnect reads it again; the action's own error is what the user sees.
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** The window's one files store, made on first use (lib/feature-services.ts). */
export const FILES = serviceKey('files.store', ({ client }) => new FilesStore(client));
