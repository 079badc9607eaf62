/**
 * The window: navigation, the connection banner and the current view. Every view reads the one store
 * (api/store.ts); none fetches on mount.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { finished } from './api/files-store.js';
import { useAgent, useFiles, useMessages, useServices } from './api/hooks.js';
import { ConnectionBanner } from './components/ConnectionBanner.js';
import { Toasts } from './components/Toasts.js';
import { UpdateNotice } from './components/UpdateNotice.js';
import { ActivityView } from './features/activity/ActivityView.js';
import { ApprovalsView } from './features/approvals/ApprovalsView.js';
import { ConnectionsView } from './features/connections/ConnectionsView.js';
import { FilesView } from './features/files/FilesView.js';
import { ForwardsView } from './features/forwards/ForwardsView.js';
import { unreadCount } from './features/messages/conversations.js';
import { MessagesView } from './features/messages/MessagesView.js';
import { PairView } from './features/pair/PairView.js';
import { PeersView } from './features/peers/PeersView.js';
import { SettingsView } from './features/settings/SettingsView.js';
import { TerminalsView } from './features/terminals/TerminalsView.js';
import type { View } from './lib/navigation.js';
import { followForwardNotices } from './lib/forward-notices.js';
import { followRequestNotices } from './lib/request-notices.js';
import { useFocusRescue } from './lib/use-focus-rescue.js';
import { useLongWait } from './lib/use-long-wait.js';

const LABELS: Record<View, string> = {
  peers: 'Peers',
  approvals: 'Approvals',
  pair: 'Pair',
  terminals: 'Terminals',
  messages: 'Messages',
  files: 'Files',
  forwards: 'Forwards',
  connections: 'Connections',
  activity: 'Activity',
  settings: 'Settings',
};

function NavEntry({
  view,
  current,
  count,
  counted = 'pending',
}: {
  view: View;
  current: View;
  count?: number;
  /** What the count counts, in its name: "Approvals 1 pending", "Messages 3 unread". */
  counted?: string;
}) {
  const { nav } = useServices();
  return (
    <li>
      <button
        type="button"
        className="nav-entry"
        aria-current={view === current ? 'page' : undefined}
        onClick={() => nav.go(view)}
      >
        {LABELS[view]}
        {count ? (
          // Part of the button's name ("Approvals 1 pending"), said once: no description repeats it.
          <span className="count" aria-label={`${count} ${counted}`}>
            {count}
          </span>
        ) : null}
      </button>
    </li>
  );
}

function CurrentView({ view }: { view: View }) {
  switch (view) {
    case 'peers':
      return <PeersView />;
    case 'approvals':
      return <ApprovalsView />;
    case 'pair':
      return <PairView />;
    case 'terminals':
      return <TerminalsView />;
    case 'messages':
      return <MessagesView />;
    case 'files':
      return <FilesView />;
    case 'forwards':
      return <ForwardsView />;
    case 'connections':
      return <ConnectionsView />;
    case 'activity':
      return <ActivityView />;
    case 'settings':
      return <SettingsView />;
  }
}

/**
 * A device asking to pair is worth a word wherever the window is (lib/request-notices.ts), and so is
 * why a forward's connections fail (lib/forward-notices.ts).
 */
function useRequestNotices(): void {
  const { store, toasts, pairScreen } = useServices();
  useEffect(() => followRequestNotices(store, toasts, pairScreen), [store, toasts, pairScreen]);
  useEffect(() => followForwardNotices(store, toasts), [store, toasts]);
}

export function App() {
  useRequestNotices();
  const { nav } = useServices();
  const { view, intent, seq } = useSyncExternalStore(nav.subscribe, nav.get);
  // A view opened for something (a deep link, a peer's "Forward a port…") starts afresh with it.
  const viewKey = Object.keys(intent).length > 0 ? `${view}-${seq}` : view;
  const status = useAgent((s) => s.status);
  const pending = useAgent((s) => s.pending.length);
  const unread = useMessages((s) => unreadCount(s.inbox));
  const moving = useFiles((s) => s.transfers.filter((t) => !finished(t)).length);
  const connection = useAgent((s) => s.connection.kind);
  const terminals = useServices().terminals;
  // Live tabs only: one that failed to open or whose session ended has no terminal open any more.
  const tabs = useSyncExternalStore(terminals.subscribe, terminals.get).tabs.filter(
    (t) => t.session.live,
  ).length;
  const main = useRef<HTMLElement>(null);
  useFocusRescue(main);
  // The tab, the window list and a screen reader's window title say which view is open.
  useEffect(() => {
    document.title = `${LABELS[view]} — Clawbridge`;
  }, [view]);
  // Busy while the agent is briefly away; not forever: a view marked busy is skipped or hushed by
  // screen readers, and what it shows (the last known state) is still worth reading.
  const away = connection !== 'connected' && connection !== 'unauthorized';
  const longAway = useLongWait(away);
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">
          <span className="brand-name">Clawbridge</span>
          {status ? (
            <span className="node-name" title="This device">
              {status.name}
            </span>
          ) : null}
        </div>
        <ul>
          <NavEntry view="peers" current={view} />
          <NavEntry view="approvals" current={view} count={pending} />
          <NavEntry view="pair" current={view} />
          <NavEntry view="terminals" current={view} count={undefined} />
          <NavEntry view="messages" current={view} count={unread} counted="unread" />
          <NavEntry view="files" current={view} count={moving} counted="in progress" />
          <NavEntry view="forwards" current={view} />
          <NavEntry view="connections" current={view} />
          <NavEntry view="activity" current={view} />
          <NavEntry view="settings" current={view} />
        </ul>
        {tabs > 0 ? (
          <p className="muted small-text">{tabs === 1 ? '1 terminal open' : `${tabs} terminals open`}</p>
        ) : null}
      </nav>
      <div className="content">
        <ConnectionBanner />
        <UpdateNotice />
        <main
          ref={main}
          tabIndex={-1}
          className={connection === 'connected' ? 'view' : 'view stale'}
          aria-label={LABELS[view]}
          aria-busy={away && !longAway}
        >
          {connection === 'unauthorized' ? null : <CurrentView key={viewKey} view={view} />}
        </main>
      </div>
      <Toasts />
    </div>
  );
}
