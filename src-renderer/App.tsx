/**
 * The window: navigation, the connection banner and the current view. Every view reads the one store
 * (api/store.ts); none fetches on mount. The sidebar and the views are the registered features'
 * (features/index.ts, handed over by main.tsx); this file names none of them.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { useAgent, useServices } from './api/hooks.js';
import { ConnectionBanner } from './components/ConnectionBanner.js';
import { Toasts } from './components/Toasts.js';
import { UpdateNotice } from './components/UpdateNotice.js';
import { featureOf, useFeatures, type Feature, type NavCount } from './features/registry.js';
import { useFocusRescue } from './lib/use-focus-rescue.js';
import { useLongWait } from './lib/use-long-wait.js';
import { selfName } from './lib/self-name.js';

/** For a feature with no count in the sidebar. */
const noCount = (): NavCount | undefined => undefined;

function NavEntry({ feature, current }: { feature: Feature; current: string }) {
  const { nav } = useServices();
  // The same hook on every render of this entry: its feature does not change.
  const useCount = feature.useCount ?? noCount;
  const counted = useCount();
  const count = counted?.count;
  return (
    <li>
      <button
        type="button"
        className="nav-entry"
        aria-current={feature.id === current ? 'page' : undefined}
        onClick={() => nav.go(feature.id)}
      >
        {feature.label}
        {count ? (
          // Part of the button's name ("Approvals 1 pending"), said once: no description repeats it.
          <span className="count" aria-label={`${count} ${counted?.counted ?? 'pending'}`}>
            {count}
          </span>
        ) : null}
      </button>
    </li>
  );
}

/**
 * What the features follow while the window is open: a device asking to pair is worth a word wherever
 * the window is, and so is why a forward's connections fail (each feature's `watch`).
 */
function useFeatureWatches(features: readonly Feature[]): void {
  const services = useServices();
  useEffect(() => {
    const disposers = features.flatMap((f) => (f.watch ? [f.watch(services)] : []));
    return () => {
      for (const dispose of disposers.reverse()) dispose();
    };
  }, [features, services]);
}

export function App() {
  const features = useFeatures();
  useFeatureWatches(features);
  const { nav, platform } = useServices();
  const { view, intent, seq } = useSyncExternalStore(nav.subscribe, nav.get);
  // Navigation only goes to a registered view; the first feature stands in for any other.
  const shown = featureOf(features, view) ?? features[0]!;
  // A view opened for something (a deep link, a peer's "Forward a port…") starts afresh with it.
  const viewKey = Object.keys(intent).length > 0 ? `${shown.id}-${seq}` : shown.id;
  const status = useAgent((s) => s.status);
  const connection = useAgent((s) => s.connection.kind);
  const main = useRef<HTMLElement>(null);
  useFocusRescue(main);
  // The tab, the window list and a screen reader's window title say which view is open.
  useEffect(() => {
    document.title = `${shown.label} — Clawbridge`;
  }, [shown]);
  // Busy while the agent is briefly away; not forever: a view marked busy is skipped or hushed by
  // screen readers, and what it shows (the last known state) is still worth reading.
  const away = connection !== 'connected' && connection !== 'unauthorized';
  const longAway = useLongWait(away);
  const { View } = shown;
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">
          <span className="brand-name">Clawbridge</span>
          {status ? (
            <span className="node-name" title={selfName(platform).title}>
              {status.name}
            </span>
          ) : null}
        </div>
        <ul>
          {features.map((f) => (
            <NavEntry key={f.id} feature={f} current={shown.id} />
          ))}
        </ul>
        {features.map((f) => (f.SidebarNote ? <f.SidebarNote key={f.id} /> : null))}
      </nav>
      <div className="content">
        <ConnectionBanner />
        <UpdateNotice />
        <main
          ref={main}
          tabIndex={-1}
          className={connection === 'connected' ? 'view' : 'view stale'}
          aria-label={shown.label}
          aria-busy={away && !longAway}
        >
          {connection === 'unauthorized' ? null : <View key={viewKey} />}
        </main>
      </div>
      <Toasts />
    </div>
  );
}
