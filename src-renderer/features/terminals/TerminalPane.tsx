import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { isDeadPhase, type TerminalTab } from './terminal-tab.js';

/**
 * Mounts a tab's terminal element and keeps it fitted to the window; draws the overlays (connecting,
 * reconnecting, exited, failed) from the session's state. The bytes never come through here.
 */
export function TerminalPane({
  tab,
  name,
  onRestart,
}: {
  tab: TerminalTab;
  /** The panel's accessible name, as tab-labels.ts words it ("Terminal 2 on b"). */
  name: string;
  onRestart: () => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const restart = useRef<HTMLButtonElement>(null);
  const state = useSyncExternalStore(
    (l) => tab.session.onChange(l),
    () => tab.session.state,
  );
  const [searching, setSearching] = useState(false);
  const [query, setQuery] = useState('');

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    tab.mount(el);
    // A dead session takes no input: its Try again / New session button takes the focus instead
    // (the effect below), so Tab is not kept inside a terminal that does nothing.
    if (!isDeadPhase(tab.session.state.phase)) tab.focus();
    else restart.current?.focus();
    tab.onSearchRequest = () => setSearching(true);
    // Fit on every size change of the pane (window resize, sidebar, devtools), one frame later.
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => tab.fit());
    });
    observer.observe(el);
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const onTheme = () => tab.setTheme();
    media.addEventListener('change', onTheme);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
      media.removeEventListener('change', onTheme);
      tab.onSearchRequest = () => undefined;
      tab.unmount();
    };
  }, [tab]);

  const dead = isDeadPhase(state.phase);
  useEffect(() => {
    if (!dead) return;
    // The session failed or ended while shown: the focus was in its terminal (or nowhere, or on the
    // view) — it moves to the one thing to do here. Focus the user put elsewhere stays there.
    const active = document.activeElement;
    const pane = host.current?.parentElement;
    const lost =
      !active || active === document.body || active.contains(pane ?? null) || !!pane?.contains(active);
    if (lost) restart.current?.focus();
  }, [dead]);

  const find = (backwards = false) => {
    if (!query) return;
    if (backwards) tab.search.findPrevious(query);
    else tab.search.findNext(query);
  };

  return (
    <div className="terminal-pane" id={`term-${tab.key}`} role="tabpanel" aria-label={name}>
      {searching ? (
        <form
          className="search-bar"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            find();
          }}
        >
          <label>
            <span className="visually-hidden">Search the terminal</span>
            <input
              value={query}
              autoFocus
              placeholder="Search"
              onChange={(e) => setQuery(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  setSearching(false);
                  tab.search.clearDecorations();
                  tab.focus();
                } else if (e.key === 'Enter' && e.shiftKey) {
                  e.preventDefault();
                  find(true);
                }
              }}
            />
          </label>
          <button type="button" className="small" onClick={() => find(true)}>
            Previous
          </button>
          <button type="submit" className="small">
            Next
          </button>
          <button
            type="button"
            className="small"
            onClick={() => {
              setSearching(false);
              tab.focus();
            }}
          >
            Close search
          </button>
        </form>
      ) : null}
      {/* Above the output, in the flow: it covers no line of it, nor sits under the toasts. */}
      {dead ? (
        <div className="overlay overlay-end" role="status">
          <p>
            {state.phase === 'exited'
              ? `The session ${state.detail}.`
              : tab.session.started
                ? `The session ended: ${state.detail}`
                : `Could not open a terminal on ${tab.target.peerName}: ${state.detail}`}
          </p>
          <button type="button" className="primary" onClick={onRestart} ref={restart}>
            {tab.session.started ? 'New session' : 'Try again'}
          </button>
        </div>
      ) : null}
      <div className="terminal-host" ref={host} />
      {state.phase === 'connecting' ? (
        <div className="overlay">Connecting to {tab.target.peerName}…</div>
      ) : null}
      {state.phase === 'reconnecting' ? (
        <div className="overlay" role="status">
          reconnecting… <span className="muted">{state.detail}</span>
        </div>
      ) : null}
    </div>
  );
}
