/**
 * Where a browser node keeps what it must remember across reloads: its identity (the CryptoKeyPair as
 * structured clone keeps it: usable, not readable) and the devices it paired with. IndexedDB in a page
 * (scoped to the page's origin, so another site reads none of it); memory in tests.
 */
import type { BrowserIdentity } from './identity.js';

/** A device this browser paired with: whom to dial, pinned by fingerprint, through which relay. */
export interface PairedDevice {
  fingerprint: string;
  /** The device's own name, as it said in pairing. */
  name: string;
  relayUrl: string;
}

export interface BrowserNodeStore {
  loadIdentity(): Promise<BrowserIdentity | undefined>;
  saveIdentity(identity: BrowserIdentity): Promise<void>;
  devices(): Promise<PairedDevice[]>;
  saveDevice(device: PairedDevice): Promise<void>;
  forgetDevice(fingerprint: string): Promise<void>;
}

/** A store that forgets on exit: tests, and a page that must not keep anything. */
export class MemoryStore implements BrowserNodeStore {
  private identity: BrowserIdentity | undefined;
  private readonly known = new Map<string, PairedDevice>();

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
}
