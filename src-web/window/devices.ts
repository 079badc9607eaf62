/**
 * Where this browser's link to each paired device stands, kept up to date (ADR 0094): the node says
 * when a link comes up or ends (BrowserNode.onLinkChange); on start, and every PROBE_MS for a device
 * not linked, the window links to it, so the list shows which devices are on the relay now before a
 * terminal is opened. A device that refused this browser (removed it) is not dialed again by itself.
 */
import type { LinkChange } from '../node/browser-node.js';
import type { PairedDevice } from '../node/store.js';
import { peerInfoOf, type LinkState } from './device-state.js';
import type { PeerInfo } from '../../src-main/api/contract.js';

/** How often a device not linked is tried again, in ms. */
export const PROBE_MS = 15_000;

/** What the tracker needs of the browser node (a fake in tests). */
export interface LinkingNode {
  devices(): Promise<PairedDevice[]>;
  connect(fingerprint: string): Promise<void>;
  onLinkChange(listener: (change: LinkChange) => void): () => void;
}

export class DeviceLinks {
  private readonly links = new Map<string, LinkState>();
  private known: PairedDevice[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly stop: () => void;

  constructor(
    private readonly node: LinkingNode,
    /** Something the window shows changed. */
    private readonly changed: () => void,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.stop = node.onLinkChange((c) => this.onChange(c));
  }

  /** Reads the devices, links to each, and tries the unlinked ones again every PROBE_MS. */
  async start(): Promise<void> {
    await this.reload();
    this.probe();
    this.timer ??= setInterval(() => this.probe(), PROBE_MS);
  }

  /** The devices as peer cards. */
  peers(): PeerInfo[] {
    return this.known.map((d) => peerInfoOf(d, this.stateOf(d.fingerprint)));
  }

  /** Reads the paired devices again (one was paired or forgotten). */
  async reload(): Promise<void> {
    this.known = await this.node.devices();
    for (const fp of [...this.links.keys()])
      if (!this.known.some((d) => d.fingerprint === fp)) this.links.delete(fp);
    this.changed();
  }

  /** A device paired (again): what an earlier link said of it no longer counts. */
  async paired(fingerprint: string): Promise<void> {
    this.links.delete(fingerprint);
    await this.reload();
    this.probe();
  }

  /** Links to every device that is not linked and has not refused this browser. */
  probe(): void {
    for (const d of this.known) {
      const link = this.stateOf(d.fingerprint);
      if (link.kind === 'up' || (link.kind === 'down' && link.refusal !== undefined)) continue;
      // A failure arrives as a link change (the node tells it), with its reason.
      this.node.connect(d.fingerprint).catch(() => undefined);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stop();
  }

  private stateOf(fingerprint: string): LinkState {
    return this.links.get(fingerprint) ?? { kind: 'unknown', since: this.now().toISOString() };
  }

  private onChange(change: LinkChange): void {
    const before = this.links.get(change.fingerprint);
    const since = this.now().toISOString();
    const next: LinkState = change.up
      ? { kind: 'up', since: before?.kind === 'up' ? before.since : since }
      : {
          kind: 'down',
          since: before?.kind === 'down' ? before.since : since,
          reason: change.reason,
          ...(change.refusal ? { refusal: change.refusal } : {}),
        };
    this.links.set(change.fingerprint, next);
    this.changed();
  }
}
