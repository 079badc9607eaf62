/**
 * Where a browser node keeps what it must remember across reloads: its identity (the CryptoKeyPair as
 * structured clone keeps it: usable, not readable), the devices it paired with, the groups it joined and
 * the terminals it has open. IndexedDB in a page (scoped to the page's origin, so another site reads
 * none of it); memory in tests.
 */
import type { GroupRecord } from '../../src-main/protocol/group-records.js';
import type { BrowserIdentity } from './identity.js';

/** A device this browser paired with: whom to dial, pinned by fingerprint, through which relay. */
export interface PairedDevice {
  fingerprint: string;
  /** The device's own name, as it said in pairing. */
  name: string;
  relayUrl: string;
}

/**
 * A group this browser joined with an invitation (group-join.ts): the records its inviter gave, each
 * checked when it came, and the inviter, whom the code confirmed, as the anchor they are read against.
 */
export interface StoredGroup {
  id: string;
  name: string;
  inviter: { fingerprint: string; name: string };
  /** The relay the browser joined through, where it dials the group's devices. */
  relayUrl: string;
  records: GroupRecord[];
}

/**
 * A terminal the page had open (src-web/window/terminal-sessions.ts), kept so a reload takes it up
 * again on its device instead of leaving the shell there with no client.
 */
export interface StoredTerminal {
  /** The window's ID for it (`terminal.attach`), and the ID its SESSION frames carry: both kept. */
  id: string;
  sessionId: string;
  peer: string;
  peerName: string;
  startedAt: string;
  /** The session's ID on the device. */
  remote: string;
  /** Output received when last kept (at least what the device was told was taken). */
  offset: number;
  cols: number;
  rows: number;
}

export interface BrowserNodeStore {
  loadIdentity(): Promise<BrowserIdentity | undefined>;
  saveIdentity(identity: BrowserIdentity): Promise<void>;
  devices(): Promise<PairedDevice[]>;
  saveDevice(device: PairedDevice): Promise<void>;
  forgetDevice(fingerprint: string): Promise<void>;
  groups(): Promise<StoredGroup[]>;
  saveGroup(group: StoredGroup): Promise<void>;
  forgetGroup(id: string): Promise<void>;
  terminals(): Promise<StoredTerminal[]>;
  saveTerminal(terminal: StoredTerminal): Promise<void>;
  forgetTerminal(id: string): Promise<void>;
}

/** A store that forgets on exit: tests, and a page that must not keep anything. */
export class MemoryStore implements BrowserNodeStore {
  private identity: BrowserIdentity | undefined;
  private readonly known = new Map<string, PairedDevice>();
  private readonly joined = new Map<string, StoredGroup>();
  private readonly open = new Map<string, StoredTerminal>();

  loadIdentity(): Promise<BrowserIdentity | undefined> {
    return Promise.resolve(this.identity);
  }
  saveIdentity(identity: BrowserIdentity): Promise<void> {
    this.identity = identity;
    return Promise.resolve();
  }
  devices(): Promise<PairedDevice[]> {
    return Promise.resolve([...this.known.values()]);
  }
  saveDevice(device: PairedDevice): Promise<void> {
    this.known.set(device.fingerprint, device);
    return Promise.resolve();
  }
  forgetDevice(fingerprint: string): Promise<void> {
    this.known.delete(fingerprint);
    return Promise.resolve();
  }
  groups(): Promise<StoredGroup[]> {
    return Promise.resolve([...this.joined.values()]);
  }
  saveGroup(group: StoredGroup): Promise<void> {
    this.joined.set(group.id, group);
    return Promise.resolve();
  }
  forgetGroup(id: string): Promise<void> {
    this.joined.delete(id);
    return Promise.resolve();
  }
  terminals(): Promise<StoredTerminal[]> {
    return Promise.resolve([...this.open.values()]);
  }
  saveTerminal(terminal: StoredTerminal): Promise<void> {
    this.open.set(terminal.id, { ...terminal });
    return Promise.resolve();
  }
  forgetTerminal(id: string): Promise<void> {
    this.open.delete(id);
    return Promise.resolve();
  }
}
