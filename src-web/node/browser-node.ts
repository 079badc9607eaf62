/**
 * A browser as a Clawbridge node (ADR 0094): it has an identity, pairs with devices by code, and opens
 * terminals on them, all through one relay, end to end. The same code runs in a page (the page's
 * WebSocket, IndexedDB) and in Node (ws, memory): the socket and the store are given.
 */
import { BrowserNodeError } from './bytes.js';
import { browserGroups, joinGroupByCode, type BrowserGroup } from './group-join.js';
import { signedLeave } from './group-leave.js';
import { mergeGroupRecords, pullGroupRecords } from './group-sync.js';
import { checkBrowserName, makeBrowserIdentity, OLD_DEFAULT_NAME, type BrowserIdentity } from './identity.js';
import { BrowserMux } from './mux.js';
import {
  openDecision,
  pairHello,
  PairingJoiner,
  parsePairCode,
  refusalError,
  type PairDecision,
} from './pairing.js';
import { circuitReader, openRendezvous } from './circuit-reader.js';
import { RelayConnection, type SocketFactory } from './relay-connection.js';
import { linkTo } from './secure-link.js';
import type { BrowserNodeStore, PairedDevice } from './store.js';
import { BrowserTerminal, TERMINAL_SERVICE, type TerminalEvents } from './terminal.js';

/** The version a browser node says in its hello. */
export const BROWSER_NODE_VERSION = 'browser-1';
/** How long the owner has to approve a pairing on the device, in ms (the agent's pending wait). */
export const APPROVAL_TIMEOUT_MS = 10 * 60 * 1000;
/** How long the pairing exchange itself may take, in ms. */
const PAIRING_STEP_TIMEOUT_MS = 15_000;

/** What a browser says in its hello: the fields of an agent's it has something to say in. */
export interface BrowserHello {
  v: 1;
  name: string;
  version: string;
  addresses: string[];
  homeRelay: null;
  guest?: true;
}

/**
 * A browser's hello (docs/protocol.md §Hello): no direct address, no home relay of its own and no
 * extra features; `guest` when it dials a group's device as a member rather than a device it paired
 * with, so that a device that does not let it in yet keeps no request to pair and tells its owner
 * nothing (ADR 0100), as for an agent.
 */
export function browserHello(name: string, guest: boolean): BrowserHello {
  return {
    v: 1,
    name,
    version: BROWSER_NODE_VERSION,
    addresses: [],
    homeRelay: null,
    ...(guest ? { guest: true as const } : {}),
  };
}

export interface BrowserNodeOptions {
  relayUrl: string;
  socket: SocketFactory;
  store: BrowserNodeStore;
  /** The relay's access token, when it has one. */
  token?: string;
  /**
   * The name a fresh identity gets (the page's: its browser and platform), shown to a device's owner
   * when it pairs; the owner may name it otherwise there.
   */
  name?: string;
}

/** A link to a device came up, or ended (why, and the device's refusal code when it refused). */
export type LinkChange =
  { fingerprint: string; up: true } | { fingerprint: string; up: false; reason: string; refusal?: string };

export class BrowserNode {
  private relay: RelayConnection | undefined;
  private readonly linkListeners = new Set<(change: LinkChange) => void>();
  private connecting: Promise<RelayConnection> | undefined;
  private readonly links = new Map<string, BrowserMux>();
  private readonly linking = new Map<string, Promise<BrowserMux>>();

  private constructor(
    private readonly opts: BrowserNodeOptions,
    private current: BrowserIdentity,
  ) {}

  /**
   * Loads the stored identity, or makes and stores one on first use. An identity that still has the
   * name every page had before pages named themselves (`browser`) takes `opts.name` instead.
   */
  static async start(opts: BrowserNodeOptions): Promise<BrowserNode> {
    let identity = await opts.store.loadIdentity();
    if (!identity) {
      identity = await makeBrowserIdentity(opts.name ?? OLD_DEFAULT_NAME);
      await opts.store.saveIdentity(identity);
    } else if (identity.name === OLD_DEFAULT_NAME && opts.name !== undefined && opts.name !== identity.name) {
      identity = { ...identity, name: checkBrowserName(opts.name) };
      await opts.store.saveIdentity(identity);
    }
    return new BrowserNode(opts, identity);
  }

  get identity(): BrowserIdentity {
    return this.current;
  }

  /**
   * Names this browser `name` from now on: what its next pairings, group joins and hellos say. Its
   * certificate keeps the name it was made with (the fingerprint covers it); devices already paired
   * keep the name their owner saved. @throws BrowserNodeError('BAD_ARGUMENT') for a name that is none.
   */
  async rename(name: string): Promise<void> {
    const renamed = { ...this.current, name: checkBrowserName(name) };
    await this.opts.store.saveIdentity(renamed);
    this.current = renamed;
  }

  get fingerprint(): string {
    return this.identity.fingerprint;
  }

  devices(): Promise<PairedDevice[]> {
    return this.opts.store.devices();
  }

  /**
   * Pairs with the device that showed `codeOrInvite`; resolves once its owner approved (the device is
   * then stored), or rejects with why not. `onVerified` is told the device's fingerprint and name once
   * the code checked out, while the owner decides. `cancel` aborted ends the join: its circuit closes,
   * and the device withdraws the request (as it does for `pair join` cancelled).
   */
  async pair(
    codeOrInvite: string,
    onVerified: (device: { fingerprint: string; name: string }) => void = () => undefined,
    cancel?: AbortSignal,
  ): Promise<PairedDevice> {
    const code = parsePairCode(codeOrInvite);
    const relay = await this.relayConnection();
    const circuit = await openRendezvous(relay, code.tag, this.opts.relayUrl, 'code');
    const stop = () => circuit.close('the join was cancelled');
    if (cancel?.aborted) stop();
    cancel?.addEventListener('abort', stop, { once: true });
    const next = circuitReader(circuit, { failed: 'pairing failed', timedOut: 'pairing timed out' });
    try {
      const joiner = new PairingJoiner(code, this.identity.certDer, this.identity.name);
      circuit.send(pairHello(code.tag));
      circuit.send(joiner.start());
      const msg2 = await next(PAIRING_STEP_TIMEOUT_MS);
      const refused = refusalError(msg2);
      if (refused) throw refused;
      const { message, result } = await joiner.receive(msg2);
      circuit.send(message);
      onVerified({ fingerprint: result.peerFingerprint, name: result.peerName });
      const decision: PairDecision = await openDecision(result.sessionKey, await next(APPROVAL_TIMEOUT_MS));
      result.sessionKey.fill(0);
      if (!decision.approved) {
        throw new BrowserNodeError(
          'PAIRING_REJECTED',
          `${result.peerName} rejected this browser${decision.reason ? `: ${decision.reason}` : ''}`,
        );
      }
      const device = {
        fingerprint: result.peerFingerprint,
        name: result.peerName,
        relayUrl: this.opts.relayUrl,
      };
      await this.opts.store.saveDevice(device);
      return device;
    } finally {
      cancel?.removeEventListener('abort', stop);
      circuit.close('pairing done');
    }
  }

  /** The groups this browser is a member of (group-join.ts): each with its devices, which it may dial. */
  async groups(): Promise<BrowserGroup[]> {
    return browserGroups(this.fingerprint, await this.opts.store.groups());
  }

  /**
   * Joins a group with an invitation code or `clawbridge://group?invite=` link: this browser becomes
   * the member, and the group's devices let it open terminals. Rejects with why not.
   */
  async joinGroup(codeOrLink: string): Promise<BrowserGroup> {
    const relay = await this.relayConnection();
    const group = await joinGroupByCode(relay, this.identity, this.opts.relayUrl, codeOrLink);
    await this.opts.store.saveGroup(group);
    const joined = browserGroups(this.fingerprint, [group])[0];
    if (!joined) throw new BrowserNodeError('PAIRING_FAILED', 'the group did not make this browser a member');
    return joined;
  }

  /**
   * Brings each group up to date from the first of its devices that answers (group-sync.ts): devices
   * added, words changed, the group renamed or deleted. A group none of whose devices answers is kept
   * as it was. Resolves with the groups as groups() then gives them.
   */
  async syncGroups(): Promise<BrowserGroup[]> {
    for (const group of await this.opts.store.groups()) {
      for (const device of browserGroups(this.fingerprint, [group])[0]?.devices ?? []) {
        try {
          const records = await pullGroupRecords(async (service, args) =>
            (await this.linkTo(device.fingerprint)).open(service, args),
          );
          await this.opts.store.saveGroup(mergeGroupRecords(group, records));
          break;
        } catch {
          // Offline, refusing this browser, or a bad answer: the next device may answer.
        }
      }
    }
    return this.groups();
  }

  /**
   * Leaves group `id` (group-leave.ts): gives a group's device this member's signed leave, then
   * forgets the group. Rejects, keeping the group, when no device of it took the leave.
   */
  async leaveGroup(id: string): Promise<void> {
    const group = (await this.opts.store.groups()).find((g) => g.id === id);
    if (!group) throw new BrowserNodeError('BAD_ARGUMENT', 'this browser is not a member of that group');
    const leave = await signedLeave(this.identity, group);
    for (const device of browserGroups(this.fingerprint, [group])[0]?.devices ?? []) {
      let sent = false;
      const open = async (service: string, args: unknown) => {
        const stream = await (await this.linkTo(device.fingerprint)).open(service, args);
        sent = true;
        return stream;
      };
      // Once it had the leave, the device may hang up before it answers: refusing this browser then
      // means it took it (a device that still lets it in did not).
      const took = await pullGroupRecords(open, [leave]).then(
        () => true,
        () => sent && this.refusesThisBrowser(device.fingerprint),
      );
      if (!took) continue;
      await this.opts.store.forgetGroup(id);
      return;
    }
    throw new BrowserNodeError('PEER_OFFLINE', `no device of group ${group.name} took the leave: try again`);
  }

  /**
   * Whether `fingerprint` refuses a new link from this browser now: the link held so far is dropped
   * first (a device that hangs up closes it a moment after it said why, so it may still look open).
   */
  private async refusesThisBrowser(fingerprint: string): Promise<boolean> {
    this.links.get(fingerprint)?.close('linking again');
    this.links.delete(fingerprint);
    return this.linkTo(fingerprint).then(
      () => false,
      () => true,
    );
  }

  /** Opens a terminal on a paired device, or on a device of a group this browser is a member of. @throws (rejects) with the device's refusal, e.g. REMOVED. */
  async openTerminal(
    fingerprint: string,
    size: { cols: number; rows: number },
    events: TerminalEvents,
  ): Promise<BrowserTerminal> {
    const open = async (args: Record<string, unknown>) =>
      (await this.linkTo(fingerprint)).open(TERMINAL_SERVICE, args);
    return BrowserTerminal.open(open, size, events);
  }

  /**
   * Takes up session `where.session` on a device again, from output byte `where.from`, after the page
   * that opened it reloaded (BrowserTerminal.takeUp): it resumes on a new link by itself, and `events`
   * says when it did, or why not.
   */
  takeUpTerminal(
    fingerprint: string,
    where: { session: string; from: number },
    size: { cols: number; rows: number },
    events: TerminalEvents,
  ): BrowserTerminal {
    const open = async (args: Record<string, unknown>) =>
      (await this.linkTo(fingerprint)).open(TERMINAL_SERVICE, args);
    return BrowserTerminal.takeUp(open, where, size, events);
  }

  /**
   * Links to a paired device now (a terminal would link on demand): how the window learns whether it
   * is reachable. @throws (rejects) with why not: the relay's or the device's refusal.
   */
  async connect(fingerprint: string): Promise<void> {
    await this.linkTo(fingerprint);
  }

  /** Told when a link to a device comes up or ends; returns its remover. */
  onLinkChange(listener: (change: LinkChange) => void): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  /** Ends every link and the relay connection. */
  close(): void {
    for (const mux of this.links.values()) mux.close('browser closed');
    this.links.clear();
    this.relay?.close('browser closed');
    this.relay = undefined;
  }

  /** One link per device: a caller that asks while one is being made waits for that one. */
  private linkTo(fingerprint: string): Promise<BrowserMux> {
    const known = this.links.get(fingerprint);
    if (known && !known.closed && !this.linking.has(fingerprint)) return Promise.resolve(known);
    let making = this.linking.get(fingerprint);
    if (!making) {
      making = this.makeLink(fingerprint)
        .catch((err: unknown) => {
          // A link that could not be made is news too: the device is off the relay, or refused.
          const { message, refusal } = err as Partial<BrowserNodeError>;
          this.tell({
            fingerprint,
            up: false,
            reason: message ?? String(err),
            ...(refusal ? { refusal } : {}),
          });
          throw err;
        })
        .finally(() => this.linking.delete(fingerprint));
      this.linking.set(fingerprint, making);
    }
    return making;
  }

  private async makeLink(fingerprint: string): Promise<BrowserMux> {
    const devices = await this.opts.store.devices();
    const inGroup = async () =>
      (await this.groups()).some((g) => g.devices.some((d) => d.fingerprint === fingerprint));
    // Not paired with it: it is a group's device, dialed as a member, as an agent would (a guest).
    const guest = !devices.some((d) => d.fingerprint === fingerprint);
    if (guest && !(await inGroup())) {
      throw new BrowserNodeError('PEER_NOT_FOUND', 'this browser is not paired with that device');
    }
    const relay = await this.relayConnection();
    const mux = new BrowserMux(await linkTo(relay, this.identity, fingerprint));
    this.links.set(fingerprint, mux);
    mux.onClose((reason, refusal) => {
      if (this.links.get(fingerprint) !== mux) return;
      this.links.delete(fingerprint);
      this.tell({ fingerprint, up: false, reason, ...(refusal ? { refusal } : {}) });
    });
    const control = await mux.open('control', browserHello(this.identity.name, guest)).catch((err: Error) => {
      mux.close(err.message);
      throw err;
    });
    // Its grants arrive on the device's own control stream; this one only carried the hello.
    control.onData(() => undefined);
    this.tell({ fingerprint, up: true });
    return mux;
  }

  private tell(change: LinkChange): void {
    for (const l of [...this.linkListeners]) l(change);
  }

  private relayConnection(): Promise<RelayConnection> {
    if (this.relay && !this.relay.closed) return Promise.resolve(this.relay);
    this.connecting ??= RelayConnection.connect(
      this.opts.relayUrl,
      this.identity,
      this.opts.socket,
      this.opts.token,
    )
      .then((relay) => {
        this.relay = relay;
        return relay;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }
}
