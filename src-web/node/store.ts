/**
 * Where a browser node keeps what it must remember across reloads: its identity (the CryptoKeyPair as
 * structured clone keeps it: usable, not readable) and the devices it paired with. IndexedDB in a page
 * (scoped to the page's origin, so another site reads none of it); memory in tests.
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

export interface BrowserNodeStore {
  loadIdentity(): Promise<BrowserIdentity | undefined>;
  saveIdentity(identity: BrowserIdentity): Promise<void>;
  devices(): Promise<PairedDevice[]>;
  saveDevice(device: PairedDevice): Promise<void>;
  forgetDevice(fingerprint: string): Promise<void>;
  groups(): Promise<StoredGroup[]>;
  saveGroup(group: StoredGroup): Promise<void>;
  forgetGroup(id: string): Promise<void>;
}

/** A store that forgets on exit: tests, and a page that must not keep anything. */
export class MemoryStore implements BrowserNodeStore {
  private identity: BrowserIdentity | undefined;
  private readonly known = new Map<string, PairedDevice>();
  private readonly joined = new Map<string, StoredGroup>();

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
}
