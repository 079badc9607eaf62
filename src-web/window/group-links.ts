/**
 * The groups this browser belongs to, kept up to date for the window (ADR 0094 §Groups): read from the
 * store, brought up to date from a group's device (BrowserNode.syncGroups) when the page opens, every
 * SYNC_MS, when the Groups view reads them and when a link to a group's device comes up — never more
 * often than once per SYNC_GAP_MS, one at a time — so an owner's `group allow`, a rename, a device
 * added or dropped, or the group deleted shows. Each device's state is this browser's link to it, as
 * the paired devices' are (devices.ts); a device that no longer lets this browser in (a removal: a
 * device tells the member, ADR 0092 "Amended", or refuses it) is shown so and not dialed again.
 * What the window shows changed: `groups.changed` goes out.
 */
import type { GroupInfo } from '../../src-main/groups/groups-contract.js';
import type { LinkChange } from '../node/browser-node.js';
import type { BrowserGroup } from '../node/group-join.js';
import type { LinkState } from './device-state.js';
import { groupInfoOf, refusesThisBrowser } from './methods-groups.js';
import { inBackground } from '../../src-main/core/background.js';

/** How often the groups are brought up to date from their devices while the page is open, in ms. */
export const SYNC_MS = 30_000;
/** The least time between two syncs, in ms: links coming up in a burst ask for one sync. */
export const SYNC_GAP_MS = 5_000;
/**
 * For this long after a join, a group's device that refuses this browser is asked again: it may not
 * have the record that makes the browser a member yet (the owner's device sends it on, and a group's
 * device lets no member in before its records are fresh, ADR 0092). Only after it is a refusal final,
 * and at once for a device that has let the browser in since the join: it has the records, so its
 * refusal is a removal, and asking it again would end as a knock for its owner to approve.
 */
export const JOIN_GRACE_MS = 60_000;
/** How long after such a refusal the device is asked again, in ms. */
export const JOIN_RETRY_MS = 3_000;

/** What the tracker needs of the browser node (a fake in tests). */
export interface GroupingNode {
  groups(): Promise<BrowserGroup[]>;
  syncGroups(): Promise<BrowserGroup[]>;
  joinGroup(codeOrLink: string): Promise<BrowserGroup>;
  leaveGroup(id: string): Promise<void>;
  connect(fingerprint: string): Promise<void>;
  onLinkChange(listener: (change: LinkChange) => void): () => void;
}

export class GroupLinks {
  private known: BrowserGroup[] = [];
  private readonly links = new Map<string, LinkState>();
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private lastSync = Number.NEGATIVE_INFINITY;
  private deferred: ReturnType<typeof setTimeout> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  /** Until when a refusal is not taken as final (JOIN_GRACE_MS after the last join). */
  private graceUntil = Number.NEGATIVE_INFINITY;
  /** Devices that let this browser in since the last join: no grace for their refusal. */
  private readonly admitted = new Set<string>();
  private said = '';
  private readonly stop: () => void;

  constructor(
    private readonly node: GroupingNode,
    /** The groups as `groups.list` answers them now, after a change. */
    private readonly changed: (groups: GroupInfo[]) => void,
    /** Forgets a group in the store (BrowserNodeStore.forgetGroup). */
    private readonly forgetGroup: (id: string) => Promise<void>,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.stop = node.onLinkChange((c) => this.onChange(c));
  }

  /** Reads the groups, brings them up to date, and does so again every SYNC_MS. */
  async start(): Promise<void> {
    await this.reload();
    this.syncSoon();
    this.timer ??= setInterval(() => this.syncSoon(), SYNC_MS);
  }

  /** The live groups, as `groups.list` answers them. */
  list(): GroupInfo[] {
    return this.live().map((g) => groupInfoOf(g, (fp) => this.stateOf(fp)));
  }

  /** The live group `ref` names (its id or its name). */
  find(ref: string): BrowserGroup | undefined {
    return this.live().find((g) => g.id === ref) ?? this.live().find((g) => g.name === ref);
  }

  /** A device of a live group, by fingerprint or name: one this browser may open a terminal on. */
  device(ref: string): { fingerprint: string; name: string } | undefined {
    const devices = this.live().flatMap((g) => g.devices);
    return devices.find((d) => d.fingerprint === ref) ?? devices.find((d) => d.name === ref);
  }

  /** Joins with an invitation code or link; what earlier links to its devices said no longer counts. */
  async join(codeOrLink: string): Promise<BrowserGroup> {
    const group = await this.node.joinGroup(codeOrLink);
    this.graceUntil = this.now() + JOIN_GRACE_MS;
    for (const d of group.devices) {
      this.links.delete(d.fingerprint);
      this.admitted.delete(d.fingerprint);
    }
    await this.reload();
    this.probe();
    return group;
  }

  /**
   * Leaves group `id`. A group whose every device refuses this browser (it was removed: no device
   * would take its leave) is only forgotten here, without dialing them: a device that no longer knows
   * the browser would take a knock for its owner to approve. @throws (rejects) when no device took the
   * leave: the group is kept.
   */
  async leave(id: string): Promise<void> {
    const group = this.live().find((g) => g.id === id);
    const shut = group?.devices.every((d) => this.refused(d.fingerprint));
    if (group && group.devices.length > 0 && shut) await this.forgetGroup(id);
    else await this.node.leaveGroup(id);
    await this.reload();
  }

  /** Reads the groups from the store again. */
  async reload(): Promise<void> {
    this.known = await this.node.groups();
    const kept = new Set(this.known.flatMap((g) => g.devices.map((d) => d.fingerprint)));
    for (const fp of [...this.links.keys()]) if (!kept.has(fp)) this.links.delete(fp);
    this.tell();
  }

  /**
   * Brings the groups up to date from their devices soon: now, or once SYNC_GAP_MS have passed since the
   * last sync began, or after the one running; asked many times meanwhile, it syncs once.
   */
  syncSoon(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    if (this.deferred) return;
    const wait = this.lastSync + SYNC_GAP_MS - this.now();
    if (wait <= 0) {
      inBackground(this.sync(), console, 'a group sync');
      return;
    }
    this.deferred = setTimeout(() => {
      this.deferred = undefined;
      this.syncSoon();
    }, wait);
  }

  /** Links to every group device that is not linked and has not refused this browser. */
  probe(): void {
    for (const d of this.live().flatMap((g) => g.devices)) {
      if (this.stateOf(d.fingerprint).kind === 'up' || this.refused(d.fingerprint)) continue;
      // A failure arrives as a link change (the node tells it), with its reason.
      this.node.connect(d.fingerprint).catch(() => undefined);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.deferred) clearTimeout(this.deferred);
    if (this.retry) clearTimeout(this.retry);
    this.timer = undefined;
    this.deferred = undefined;
    this.retry = undefined;
    this.stop();
  }

  /** One sync: skipped while no group has a device that still lets this browser in. */
  private sync(): Promise<void> {
    this.lastSync = this.now();
    const worth = this.live().some((g) => g.devices.some((d) => !this.refused(d.fingerprint)));
    this.syncing = (async () => {
      if (worth) {
        try {
          await this.node.syncGroups();
        } catch {
          // The store's groups stay as they were; the next sync tries again.
        }
      }
      await this.reload();
      this.probe();
    })().finally(() => {
      this.syncing = undefined;
      if (this.syncAgain) {
        this.syncAgain = false;
        this.syncSoon();
      }
    });
    return this.syncing;
  }

  private live(): BrowserGroup[] {
    return this.known.filter((g) => !g.deleted);
  }

  /** The link to `fingerprint` as the window shows it: a refusal in the grace after a join is not one yet. */
  private stateOf(fingerprint: string): LinkState {
    const link = this.links.get(fingerprint) ?? {
      kind: 'unknown' as const,
      since: new Date(this.now()).toISOString(),
    };
    if (!this.inGrace(fingerprint) || !refusesThisBrowser(link)) return link;
    return { kind: 'down', since: link.since, reason: 'not let in yet: it may not have heard of the join' };
  }

  /** Whether `fingerprint` refused this browser for good (not in the grace after a join). */
  private refused(fingerprint: string): boolean {
    const link = this.links.get(fingerprint);
    return link !== undefined && refusesThisBrowser(link) && !this.inGrace(fingerprint);
  }

  /** Whether a refusal by `fingerprint` may still be the join not having reached it. */
  private inGrace(fingerprint: string): boolean {
    return this.now() < this.graceUntil && !this.admitted.has(fingerprint);
  }

  private onChange(change: LinkChange): void {
    if (!this.known.some((g) => g.devices.some((d) => d.fingerprint === change.fingerprint))) return;
    const before = this.links.get(change.fingerprint);
    if (change.up) this.admitted.add(change.fingerprint);
    const since = new Date(this.now()).toISOString();
    this.links.set(
      change.fingerprint,
      change.up
        ? { kind: 'up', since: before?.kind === 'up' ? before.since : since }
        : {
            kind: 'down',
            since: before?.kind === 'down' ? before.since : since,
            reason: change.reason,
            ...(change.refusal ? { refusal: change.refusal } : {}),
          },
    );
    this.tell();
    // Refused in the grace after a join: asked again soon, once the records have reached it.
    if (!change.up && this.inGrace(change.fingerprint) && this.retry === undefined) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.probe();
        this.tell();
      }, JOIN_RETRY_MS);
    }
    // A device just reached may have news of the group (the owner changed it while it was away).
    if (change.up && before?.kind !== 'up') this.syncSoon();
  }

  /** Tells the window the groups, when what it shows of them changed. */
  private tell(): void {
    const groups = this.list();
    const now = JSON.stringify(groups);
    if (now === this.said) return;
    this.said = now;
    this.changed(groups);
  }
}
