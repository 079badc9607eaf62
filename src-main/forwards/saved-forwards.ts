/**
 * The forwards domain's named writes on its section of the settings (ADR 0091): the saved forwards
 * and proxies (shares are saved as forwards), on the slice the composition root hands this domain
 * alone (state/settings-sections.ts). Each write is one write of config.json through the node-state
 * store, announced as a `forward` change; a peer renamed carries its forwards' `via` along in the
 * store's own write (the rule registered here).
 */
import type { PeerRecord, Settings } from '../state/settings.js';
import type { PeerRenamed, SettingsSlice } from '../state/settings-sections.js';
import type { ForwardRecord } from './saved-forward-schema.js';

/** What the forward manager, reverse forwards and shares read and write of the saved forwards. */
export interface SavedForwards {
  /** Every saved forward and proxy, in their saved order. */
  list(): readonly ForwardRecord[];
  forward(name: string): ForwardRecord | undefined;
  /** Saves a forward or proxy, replacing the one of the same name. */
  saveForward(record: ForwardRecord): void;
  /** Changes the saved forward `name` in place (keeping its position); nothing when there is none. */
  editForward(name: string, edit: (f: ForwardRecord) => ForwardRecord): void;
  removeForward(name: string): void;
  /**
   * Saved forwards from before exit peers were saved by fingerprint are bound to the peer that holds
   * their `via` name now, once, so a peer paired later under that name can never take them over.
   */
  bindLegacyForwards(): void;
}

/** The saved forwards on `slice`; `peers` reads the saved peers (to bind older forwards to one). */
export function savedForwards(
  slice: SettingsSlice<'forwards'>,
  peers: () => readonly PeerRecord[],
): SavedForwards {
  slice.onPeerRenamed((forwards, renamed) => forwards.map((f) => followRename(f, renamed)));
  const forward = (name: string) => slice.get().find((f) => f.name === name);
  return {
    list: () => slice.get(),
    forward,
    saveForward: (record) =>
      slice.update((forwards) => [...forwards.filter((f) => f.name !== record.name), record]),
    editForward: (name, edit) => {
      if (!forward(name)) return;
      slice.update((forwards) => forwards.map((f) => (f.name === name ? edit(f) : f)));
    },
    removeForward: (name) => slice.update((forwards) => forwards.filter((f) => f.name !== name)),
    bindLegacyForwards: () => {
      const byName = new Map(peers().map((p) => [p.name, p.fingerprint]));
      const bind = (f: ForwardRecord): ForwardRecord => {
        const fingerprint =
          f.via !== undefined && f.viaFingerprint === undefined ? byName.get(f.via) : undefined;
        return fingerprint ? { ...f, viaFingerprint: fingerprint } : f;
      };
      if (!slice.get().some((f) => bind(f) !== f)) return;
      slice.update((forwards): Settings['forwards'] => forwards.map(bind));
    },
  };
}

/**
 * A forward bound to the renamed peer names it by its new name (a record from before fingerprints
 * were saved is matched by the old name, and bound to the peer now).
 */
function followRename(f: ForwardRecord, { fingerprint, before, after }: PeerRenamed): ForwardRecord {
  return f.viaFingerprint === fingerprint || (f.viaFingerprint === undefined && f.via === before)
    ? { ...f, via: after, viaFingerprint: fingerprint }
    : f;
}
