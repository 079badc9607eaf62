/**
 * What a feature of the window is and what it brings (docs/architecture.md §Adding a domain, ADR 0086):
 * each folder under features/ exports one `Feature`, and one list (features/index.ts, with the domains'
 * from domain-features.ts) holds them. The
 * shared parts of the window — the sidebar, the view area, the peer card's actions, the settings
 * sections, the permission boxes — read what the registered features bring, through the context below,
 * and name none of them.
 *
 * Type-only apart from the context: a shared component imports this module, never the list, so the
 * list (which imports every view) is not in the import graph of the components the views use.
 */
import { createContext, useContext, useMemo, type ComponentType } from 'react';
import type { PeerInfo, SettingsResult } from '../../src-main/api/contract.js';
import type { Disposer } from '../api/transport.js';
import type { LinkedFeature } from '../lib/navigation.js';
import type { Services } from '../services.js';
import { permissionWords, type PermissionWord } from './permission-words.js';

/** A count beside a feature's name in the sidebar, and what it counts: `3 unread`. */
export interface NavCount {
  readonly count: number;
  /** Part of the entry's name ("Messages 3 unread"); `pending` when not said. */
  readonly counted?: string;
}

/** What a peer card action acts on. */
export interface PeerActionContext {
  readonly peer: PeerInfo;
  readonly services: Services;
}

/**
 * A button a feature adds to each peer card (`Open terminal`, `Forward a port…`): it acts at once
 * (`run`) or opens its dialog. The card's own actions (Ping, Permissions, …) come after these.
 */
export interface PeerAction {
  /** Its place among the features' actions, lowest first. */
  readonly order: number;
  /** The words on the button. */
  readonly text: string;
  /** Its accessible name, starting with the words shown: `Open terminal on laptop`. */
  name(peer: PeerInfo): string;
  /**
   * The peer permission it needs there: while the peer says it refuses it, the button stays (and keeps
   * the focus) but does nothing, and the card says why.
   */
  readonly permission?: string;
  /**
   * It acts on the peer now (a terminal), so it needs the peer online: while the peer is offline,
   * unreachable, waiting or refusing this device, the button stays (and keeps the focus) but does
   * nothing, and says why.
   */
  readonly needsOnline?: boolean;
  run?(context: PeerActionContext): void;
  /** Opened by the button; `initial` holds the files dropped on the card, when that opened it. */
  readonly Dialog?: ComponentType<{ peer: PeerInfo; initial: string[]; onClose: () => void }>;
  /** Files dropped on the card (desktop app only) open this action's dialog with them. */
  readonly takesDroppedFiles?: boolean;
}

/**
 * A feature of the window. From `LinkedFeature` (lib/navigation.ts) it may also bring `links`, the app
 * links with parameters it takes (`#terminals?open=<peer>`), and `follow`, what following one does first;
 * what its view may be opened for is its entry in `Intents`, and its own stores are made from the keys
 * it exports (lib/feature-services.ts). All of these in its `<feature>-links.ts` and stores (ADR 0088).
 */
export interface Feature extends LinkedFeature {
  /** The view's name in links and the address (`#messages`), and its key. */
  readonly id: string;
  /** Its name in the sidebar, the document title and the view's landmark. */
  readonly label: string;
  /**
   * A domain's feature: its place in the sidebar among the domains' features, lowest first (those
   * without one after, in the domains' order, which is the order the node starts them in).
   */
  readonly place?: number;
  readonly View: ComponentType;
  /** Its count in the sidebar, read live (a React hook). */
  readonly useCount?: () => NavCount | undefined;
  /** A line under the sidebar's list (`2 terminals open`), or nothing. */
  readonly SidebarNote?: ComponentType;
  readonly peerActions?: readonly PeerAction[];
  /** A section of its own in Settings, after the node's own ones. */
  readonly SettingsSection?: ComponentType<{ settings: SettingsResult }>;
  readonly permissions?: readonly PermissionWord[];
  /** Follows the agent while the window is open (a toast for what it says); returns its disposer. */
  watch?(services: Services): Disposer;
  /**
   * The methods (and streams) of the API its view cannot do without. A transport that serves only
   * some (the browser node's, ADR 0094) shows the feature only when it serves all of these; a
   * feature that does not say is shown only where every method is served (an agent behind the window).
   */
  readonly needs?: readonly string[];
}

export const FeaturesContext = createContext<readonly Feature[] | null>(null);

/** The registered features, in the order of their list. */
export function useFeatures(): readonly Feature[] {
  const features = useContext(FeaturesContext);
  if (!features) throw new Error('useFeatures outside <FeaturesContext.Provider>');
  return features;
}

/** The registered features' permission words, in their order (permission-words.ts). */
export function usePermissionWords(): PermissionWord[] {
  const features = useFeatures();
  return useMemo(() => permissionWords(features), [features]);
}

/** `features` by their `place`, lowest first; those without one after, in the order given. */
export function inPlace<F extends { readonly place?: number }>(features: readonly F[]): F[] {
  return features
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (a.f.place ?? Infinity) - (b.f.place ?? Infinity) || a.i - b.i)
    .map(({ f }) => f);
}

/** The features' peer card actions, in their order. */
export function peerActionsOf(features: readonly Feature[]): PeerAction[] {
  return features.flatMap((f) => f.peerActions ?? []).sort((a, b) => a.order - b.order);
}

/** The feature that shows `view`, or undefined for a view no feature has. */
export function featureOf(features: readonly Feature[], view: string): Feature | undefined {
  return features.find((f) => f.id === view);
}
