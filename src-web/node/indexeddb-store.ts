/**
 * The page's store (store.ts): IndexedDB of the page's origin (the relay's), so another site reads none
 * of it. The identity's CryptoKeyPair is kept as structured clone keeps it: a non-extractable key stays
 * usable by this origin's script and is never bytes, even here.
 */
import type { BrowserIdentity } from './identity.js';
import type { BrowserNodeStore, PairedDevice, StoredGroup, StoredTerminal } from './store.js';

const DB_NAME = 'clawbridge-browser-node';
const IDENTITY = 'identity';
const DEVICES = 'devices';
const GROUPS = 'groups';
const TERMINALS = 'terminals';
/**
 * 2: the groups joined (group-join.ts) came; 3: the terminals open (kept across a reload). An upgrade
 * keeps what the older versions stored.
 */
const DB_VERSION = 3;

/** IndexedDB as this module uses it, typed here so the file compiles for Node's typings too. */
interface Request<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface Store {
  get(key: string): Request<unknown>;
  put(value: unknown, key?: string): Request<unknown>;
  delete(key: string): Request<unknown>;
  getAll(): Request<unknown[]>;
}
interface Database {
  transaction(names: string, mode: 'readonly' | 'readwrite'): { objectStore(name: string): Store };
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string, options?: { keyPath: string }): unknown;
}
interface Factory {
  open(name: string, version: number): Request<Database> & { onupgradeneeded: (() => void) | null };
}

function done<T>(request: Request<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(request.error instanceof Error ? request.error : new Error('IndexedDB failed'));
  });
}

export class IndexedDbStore implements BrowserNodeStore {
  private constructor(private readonly db: Database) {}

  static async open(): Promise<IndexedDbStore> {
    const factory = (globalThis as unknown as { indexedDB: Factory }).indexedDB;
    const request = factory.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(IDENTITY)) db.createObjectStore(IDENTITY);
      if (!db.objectStoreNames.contains(DEVICES)) db.createObjectStore(DEVICES, { keyPath: 'fingerprint' });
      if (!db.objectStoreNames.contains(GROUPS)) db.createObjectStore(GROUPS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(TERMINALS)) db.createObjectStore(TERMINALS, { keyPath: 'id' });
    };
    return new IndexedDbStore(await done(request));
  }

  private store(name: string, mode: 'readonly' | 'readwrite'): Store {
    return this.db.transaction(name, mode).objectStore(name);
  }

  async loadIdentity(): Promise<BrowserIdentity | undefined> {
    return (
      ((await done(this.store(IDENTITY, 'readonly').get('self'))) as BrowserIdentity | undefined) ?? undefined
    );
  }
  async saveIdentity(identity: BrowserIdentity): Promise<void> {
    await done(this.store(IDENTITY, 'readwrite').put(identity, 'self'));
  }
  async devices(): Promise<PairedDevice[]> {
    return (await done(this.store(DEVICES, 'readonly').getAll())) as PairedDevice[];
  }
  async saveDevice(device: PairedDevice): Promise<void> {
    await done(this.store(DEVICES, 'readwrite').put(device));
  }
  async forgetDevice(fingerprint: string): Promise<void> {
    await done(this.store(DEVICES, 'readwrite').delete(fingerprint));
  }
  async groups(): Promise<StoredGroup[]> {
    return (await done(this.store(GROUPS, 'readonly').getAll())) as StoredGroup[];
  }
  async saveGroup(group: StoredGroup): Promise<void> {
    await done(this.store(GROUPS, 'readwrite').put(group));
  }
  async forgetGroup(id: string): Promise<void> {
    await done(this.store(GROUPS, 'readwrite').delete(id));
  }
  async terminals(): Promise<StoredTerminal[]> {
    return (await done(this.store(TERMINALS, 'readonly').getAll())) as StoredTerminal[];
  }
  async saveTerminal(terminal: StoredTerminal): Promise<void> {
    await done(this.store(TERMINALS, 'readwrite').put(terminal));
  }
  async forgetTerminal(id: string): Promise<void> {
    await done(this.store(TERMINALS, 'readwrite').delete(id));
  }
}
