/**
 * What a link viewer keeps in its tab (docs/adr/0123-shared-terminals.md §Link, "A viewer re-attaches"):
 * the throwaway identity whose fingerprint the code's PAKE proved, and the sharer's `ready` (where the
 * shell runs, the share), in the tab's sessionStorage. The code is spent at its first PAKE, and the
 * node where the shell runs admits that fingerprint until the share ends: with it kept, a reload or a
 * dropped link dials that node again as the same viewer, without the code. sessionStorage because it
 * is the tab's and goes when the tab closes; never localStorage or IndexedDB, which outlive the tab
 * and are every tab's of the relay's origin. It holds strings only, so the key is made extractable
 * once, written as PKCS#8, and used as a non-extractable key imported from it.
 */
import { readShareCodeFrame, type ShareCodeFrame } from '../../src-main/protocol/share-code-frames.js';
import { selfSignedBrowserCert } from './certificate.js';
import { checkBrowserName, type BrowserIdentity } from './identity.js';
import { fingerprintOf, subtle } from './primitives.js';

/** The tab's storage, or a test's. */
export interface TabStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Where in the tab's storage the viewer is kept. */
const KEY = 'clawbridge.watch';
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A link viewer as its tab keeps it. */
export interface KeptViewer {
  /** The code it met (spent): a link opened again with it is this viewer, not a new code. */
  code: string;
  relayUrl: string;
  identity: BrowserIdentity;
  sharer: { fingerprint: string; name: string };
  target: Extract<ShareCodeFrame, { t: 'ready' }>;
  /** Why its share ended, once it did: nothing to dial any more. */
  ended?: string;
}

/** A kept identity's key material, as written (base64). */
interface KeptKeys {
  pkcs8: string;
  spki: string;
  cert: string;
}

const toB64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromB64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** The identity from its written keys: the private key imported non-extractable. */
async function identityOf(keys: KeptKeys, name: string): Promise<BrowserIdentity> {
  const certDer = fromB64(keys.cert);
  const [privateKey, publicKey] = await Promise.all([
    subtle().importKey('pkcs8', fromB64(keys.pkcs8), ALGORITHM, false, ['sign']),
    subtle().importKey('spki', fromB64(keys.spki), ALGORITHM, true, ['verify']),
  ]);
  return { privateKey, publicKey, certDer, fingerprint: fingerprintOf(certDer), name };
}

/** A fresh identity that a tab can keep: what `keep` writes, and the identity to use now. */
export async function makeKeepableIdentity(
  name: string,
): Promise<{ identity: BrowserIdentity; keys: KeptKeys }> {
  checkBrowserName(name);
  const pair = await subtle().generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certDer = await selfSignedBrowserCert(pair, name);
  const [pkcs8, spki] = await Promise.all([
    subtle().exportKey('pkcs8', pair.privateKey),
    subtle().exportKey('spki', pair.publicKey),
  ]);
  const keys = {
    pkcs8: toB64(new Uint8Array(pkcs8)),
    spki: toB64(new Uint8Array(spki)),
    cert: toB64(certDer),
  };
  return { identity: await identityOf(keys, name), keys };
}

type Written = Omit<KeptViewer, 'identity'> & { keys: KeptKeys; name: string };

/** The tab's viewer in a storage: written once its code was met, read at the next load. */
export class ViewerTab {
  constructor(private readonly storage: TabStorage | undefined) {}

  /** Keeps the viewer that met a code (in place of any kept before). */
  keep(viewer: Omit<KeptViewer, 'identity' | 'ended'>, keys: KeptKeys, name: string): void {
    const { code, relayUrl, sharer, target } = viewer;
    this.write({ code, relayUrl, sharer, target, keys, name });
  }

  /** The share ended: kept as such, so a reload says so and dials nothing. */
  ended(reason: string): void {
    const w = this.read();
    if (w) this.write({ ...w, ended: reason });
  }

  /** The viewer this tab kept for `relayUrl`, if any and readable. */
  async kept(relayUrl: string): Promise<KeptViewer | undefined> {
    const w = this.read();
    if (!w || w.relayUrl !== relayUrl) return undefined;
    try {
      const identity = await identityOf(w.keys, w.name);
      const { code, sharer, target, ended } = w;
      return { code, relayUrl, sharer, target, identity, ...(ended !== undefined ? { ended } : {}) };
    } catch {
      // Keys that do not import (written by another version, or changed by hand): not a viewer.
      return undefined;
    }
  }

  private read(): Written | undefined {
    let w: Partial<Written> | undefined;
    try {
      w = JSON.parse(this.storage?.getItem(KEY) ?? 'null') as Partial<Written> | undefined;
    } catch {
      return undefined;
    }
    const target = readShareCodeFrame(w?.target);
    const ok =
      w &&
      typeof w.code === 'string' &&
      typeof w.relayUrl === 'string' &&
      typeof w.name === 'string' &&
      typeof w.sharer?.fingerprint === 'string' &&
      typeof w.sharer.name === 'string' &&
      typeof w.keys?.pkcs8 === 'string' &&
      typeof w.keys.spki === 'string' &&
      typeof w.keys.cert === 'string' &&
      (w.ended === undefined || typeof w.ended === 'string') &&
      target?.t === 'ready';
    return ok ? ({ ...w, target } as Written) : undefined;
  }

  private write(w: Written): void {
    try {
      this.storage?.setItem(KEY, JSON.stringify(w));
    } catch {
      // A full or refused storage: the viewer works, and a reload asks for a new link.
    }
  }
}

/** The tab's own sessionStorage, where the page has one. */
export const tabStorage = (): TabStorage | undefined =>
  (globalThis as { sessionStorage?: TabStorage }).sessionStorage;
