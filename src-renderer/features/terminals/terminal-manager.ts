/**
 * The terminal tabs of this window: opening, closing, switching, and getting sessions back. Sessions are
 * the agent's (`terminal.list`), so after a reload the page re-attaches to the ones it had (remembered
 * in sessionStorage) and to any nobody is viewing; after the page lost its agent, each tab re-attaches
 * once the transport is back. React reads `get()` with useSyncExternalStore; tabs own their bytes.
 */
import type { OfferInfo } from '../../../src-main/terminal/shares/share-contract.js';
import type { TerminalInfo } from '../../../src-main/terminal/terminal-contract.js';
import type { ApiClient } from '../../api/client.js';
import { Listeners, type Disposer } from '../../api/transport.js';
import { serviceKey } from '../../lib/feature-services.js';
import type { KeyValue } from '../../lib/navigation.js';
import { ScreenReaderSetting } from './screen-reader.js';
import type * as TabModule from './terminal-tab.js';
import type { TabTarget, TerminalTab } from './terminal-tab.js';
import { inBackground } from '../../../src-main/core/background.js';

export interface TabsSnapshot {
  tabs: readonly TerminalTab[];
  active: number | null;
}

const KEY = 'clawbridge.terminals';

export class TerminalManager {
  private snapshot: TabsSnapshot = { tabs: [], active: null };
  private readonly listeners = new Listeners<[]>();
  private nextKey = 1;
  private restored = false;
  private readonly disposers: Disposer[] = [];
  /**
   * xterm.js and the tab around it, fetched the first time a tab is made (ADR 0107): a third of the
   * window's code, which its first screen does not show. Once loaded it is kept.
   */
  private tabModule: Promise<typeof TabModule> | undefined;
  /** Screen reader support for every terminal of this window (screen-reader.ts). */
  readonly screenReader: ScreenReaderSetting;

  constructor(
    private readonly client: ApiClient,
    private readonly storage: KeyValue | null,
    /** Where this device's choices last (localStorage); `storage` holds only this window's tabs. */
    prefs: KeyValue | null = null,
  ) {
    this.screenReader = new ScreenReaderSetting(prefs);
    const transport = client.transport;
    this.disposers.push(
      transport.onState((s) => {
        if (s.kind === 'connected') this.onConnected();
      }),
      this.screenReader.subscribe(() => {
        for (const t of this.snapshot.tabs) t.setScreenReader(this.screenReader.get());
      }),
    );
    if (transport.state.kind === 'connected') this.onConnected();
  }

  get = (): TabsSnapshot => this.snapshot;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  private set(tabs: readonly TerminalTab[], active: number | null): void {
    this.snapshot = { tabs, active };
    this.remember();
    this.listeners.emit();
  }

  /** Tells React a tab's state (path, phase) changed without changing the tab list. */
  touch(): void {
    this.snapshot = { ...this.snapshot };
    this.listeners.emit();
  }

  private async create(target: TabTarget, sessionId: string | null): Promise<TerminalTab> {
    const { TerminalTab } = await (this.tabModule ??= import('./terminal-tab.js'));
    const tab = new TerminalTab(this.client, this.nextKey++, target, sessionId, this.screenReader.get());
    tab.session.onChange(() => {
      this.remember();
      this.touch();
    });
    return tab;
  }

  private async add(target: TabTarget, sessionId: string | null): Promise<TerminalTab> {
    const tab = await this.create(target, sessionId);
    this.set([...this.snapshot.tabs, tab], tab.key);
    return tab;
  }

  /**
   * A terminal shared with this node, joined in a new tab (or its open tab selected), taking keys only
   * when its sharer lets this node type (the pane follows later changes: SharePanel.tsx).
   */
  join(offer: OfferInfo): void {
    const had = this.snapshot.tabs.find((t) => t.target.joined?.share === offer.share && !t.dead);
    if (had) return this.select(had.key);
    this.open(
      {
        peer: offer.host,
        peerName: offer.hostName,
        joined: { share: offer.share, sharerName: offer.sharerName },
      },
      !offer.write,
    );
  }

  /** A new session on `target`, in a new tab that becomes the active one (once xterm.js is loaded). */
  open(target: TabTarget, readOnly = false): void {
    inBackground(
      this.add(target, null).then((tab) => {
        tab.setReadOnly(readOnly);
        return tab.start().then(
          () => this.touch(),
          () => this.touch(),
        );
      }),
      console,
      `opening a terminal on ${target.peerName}`,
    );
  }

  /** Replaces an ended tab with a new session on the same peer, in the same place. */
  restart(key: number): void {
    inBackground(this.replace(key), console, 'starting a new session in the tab');
  }

  private async replace(key: number): Promise<void> {
    const found = this.snapshot.tabs.find((t) => t.key === key);
    if (!found) return;
    const tab = await this.create(found.target, null);
    // A joined terminal joined again: as it was until the pane hears otherwise (SharePanel.tsx).
    tab.setReadOnly(found.watchOnly);
    // The tab may have been closed while xterm.js loaded.
    const old = this.snapshot.tabs.find((t) => t.key === key);
    if (!old) return tab.dispose();
    // The old session has ended; forget it in the agent's list too.
    if (old.sessionId) void this.client.call('terminal.close', { id: old.sessionId }).catch(() => undefined);
    old.dispose();
    this.set(
      this.snapshot.tabs.map((t) => (t === old ? tab : t)),
      tab.key,
    );
    tab.start().then(
      () => this.touch(),
      () => this.touch(),
    );
  }

  /**
   * Closes a tab and hangs up its session: sessions opened from the window outlive the page (for
   * reloads), so only an explicit close ends the program on the peer.
   */
  close(key: number): void {
    const i = this.snapshot.tabs.findIndex((t) => t.key === key);
    if (i < 0) return;
    const tab = this.snapshot.tabs[i]!;
    if (tab.sessionId) void this.client.call('terminal.close', { id: tab.sessionId }).catch(() => undefined);
    tab.dispose();
    const tabs = this.snapshot.tabs.filter((t) => t.key !== key);
    const active =
      this.snapshot.active === key ? (tabs[Math.min(i, tabs.length - 1)]?.key ?? null) : this.snapshot.active;
    this.set(tabs, active);
  }

  select(key: number): void {
    if (this.snapshot.tabs.some((t) => t.key === key)) this.set(this.snapshot.tabs, key);
  }

  /** Next (+1) or previous (−1) tab, wrapping around. */
  cycle(step: 1 | -1): void {
    const { tabs, active } = this.snapshot;
    if (tabs.length === 0) return;
    const i = tabs.findIndex((t) => t.key === active);
    this.select(tabs[(i + step + tabs.length) % tabs.length]!.key);
  }

  private remember(): void {
    const live = this.snapshot.tabs
      .filter((t) => t.sessionId && t.session.live)
      .map((t) => ({ id: t.sessionId, ...t.target }));
    try {
      this.storage?.setItem(KEY, JSON.stringify(live));
    } catch {
      // Without storage a reload still finds sessions nobody views; it only cannot claim its own.
    }
  }

  private remembered(): Set<string> {
    try {
      const raw = JSON.parse(this.storage?.getItem(KEY) ?? '[]') as { id?: unknown }[];
      return new Set(raw.map((r) => r.id).filter((id): id is string => typeof id === 'string'));
    } catch {
      return new Set();
    }
  }

  private onConnected(): void {
    if (!this.restored) {
      this.restored = true;
      inBackground(this.restore(), console, 'restoring the terminals');
    }
    for (const tab of this.snapshot.tabs) {
      if (tab.session.state.phase === 'reconnecting' && tab.sessionId && !tab.session.attached) {
        tab.start().then(
          () => this.touch(),
          () => {
            // Typically the agent restarted, and its sessions ended with it: say that in plain words
            // rather than the agent's "no terminal session '…' here" — also when the tab then tried to
            // take the session up on the peer (terminal-tab.ts) and the peer no longer had it either.
            tab.session.failed('the agent no longer has it — it probably restarted while this page was away');
            this.touch();
          },
        );
      }
    }
  }

  /** After a reload: a tab for each live session this page had, or that nobody is viewing. */
  private async restore(): Promise<void> {
    let sessions: TerminalInfo[];
    try {
      sessions = await this.client.call('terminal.list', {});
    } catch {
      return;
    }
    const mine = this.remembered();
    const known = new Set(this.snapshot.tabs.map((t) => t.sessionId));
    for (const s of sessions) {
      const live = s.state === 'connected' || s.state === 'reconnecting';
      if (!live || known.has(s.id) || (s.attached && !mine.has(s.id))) continue;
      const tab = await this.add({ peer: s.peer, peerName: s.peerName }, s.id);
      tab.path = s.path;
      tab.start().then(
        () => this.touch(),
        () => this.touch(),
      );
    }
  }

  dispose(): void {
    for (const d of this.disposers) d();
    for (const t of this.snapshot.tabs) t.dispose();
  }
}

/**
 * The window's one terminal manager, made on first use (lib/feature-services.ts): the sidebar's note
 * asks for it as the window first shows, a link or a peer card's action before that if it comes first.
 */
export const TERMINALS = serviceKey(
  'terminals.manager',
  ({ client, storage, prefs }) => new TerminalManager(client, storage, prefs),
);
