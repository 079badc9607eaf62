import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useService, useServices, useStore } from '../../api/hooks.js';
import { JoinedBar } from './JoinedBar.js';
import { KeyRow } from './KeyRow.js';
import { SharePanel } from './SharePanel.js';
import { SHARES } from './shares-store.js';
import { SEARCH_LIMIT, searchStatus, type SearchOutcome } from './search-status.js';
import { isDeadPhase } from './terminal-session.js';
import type { TerminalTab } from './terminal-tab.js';

/**
 * How long typing pauses before the query is searched (250 ms, in ms): a search of 5000 lines per
 * keystroke would be wasted work, and the status would be said over and over while a word is typed.
 */
const SEARCH_AS_YOU_TYPE_MS = 250;

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
  const ended = useRef<HTMLParagraphElement>(null);
  const state = useSyncExternalStore(
    (l) => tab.session.onChange(l),
    () => tab.session.state,
  );
  const [searching, setSearching] = useState(false);
  // The page a relay serves is the one a phone opens (ADR 0094): it has the key row.
  const keyRow = useServices().platform === 'browser-node';
  const [query, setQuery] = useState('');
  const [outcome, setOutcome] = useState<SearchOutcome | null>(null);
  /** The search that typing scheduled (searched once typing pauses). */
  const typed = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(typed.current), []);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    tab.mount(el);
    // A dead session takes no input: the line that says how it ended takes the focus instead (the
    // effect below), so Tab is not kept inside a terminal that does nothing. Not its New session
    // button: keys typed on after the end would press it, and the rest of the line would run there.
    if (!isDeadPhase(tab.session.state.phase)) tab.focus();
    else ended.current?.focus();
    tab.onSearchRequest = () => setSearching(true);
    // The addon counts as it searches, and again (a moment later) as new output arrives.
    const results = tab.search.onDidChangeResults(({ resultIndex, resultCount }) =>
      setOutcome((o) => ({ found: o?.found ?? resultCount > 0, index: resultIndex, count: resultCount })),
    );
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
      results.dispose();
      cancelAnimationFrame(frame);
      media.removeEventListener('change', onTheme);
      tab.onSearchRequest = () => undefined;
      tab.unmount();
    };
  }, [tab]);

  const dead = isDeadPhase(state.phase);
  const joined = tab.target.joined;
  const shares = useService(SHARES);
  const offered = useStore(shares.live, (s) => s.offered.some((o) => o.share === joined?.share));
  useEffect(() => {
    if (!dead) return;
    // The session failed or ended while shown: the focus was in its terminal (or nowhere, or on the
    // view) — it moves to the line saying so; Tab from there reaches Try again / New session. Focus
    // the user put elsewhere stays there.
    const active = document.activeElement;
    const pane = host.current?.parentElement;
    const lost =
      !active || active === document.body || active.contains(pane ?? null) || !!pane?.contains(active);
    if (lost) ended.current?.focus();
  }, [dead]);

  const find = (backwards = false, q = query, incremental = false) => {
    clearTimeout(typed.current);
    if (!q) return;
    // The count arrives (onDidChangeResults, above) during the call; whether it found one, after.
    const found = tab.find(q, backwards, incremental);
    setOutcome((o) => ({ found, index: o?.index ?? -1, count: o?.count ?? null }));
  };
  const closeSearch = () => {
    clearTimeout(typed.current);
    setSearching(false);
    setOutcome(null);
    tab.clearSearch();
    tab.focus();
  };
  const edit = (q: string) => {
    setQuery(q);
    // The old query's highlights and answer are wrong for the new one: both go at once, and the new
    // query is searched as soon as typing pauses (Enter still goes to the next match).
    setOutcome(null);
    tab.clearSearch();
    clearTimeout(typed.current);
    if (q) typed.current = setTimeout(() => find(false, q, true), SEARCH_AS_YOU_TYPE_MS);
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
              onChange={(e) => edit(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  closeSearch();
                } else if (e.key === 'Enter' && e.shiftKey) {
                  e.preventDefault();
                  find(true);
                }
              }}
            />
          </label>
          {/* Said politely after each search (typed or Next): "No matches for …", "Match 2 of 5". */}
          <span className="search-status" role="status">
            {searchStatus(query, outcome, SEARCH_LIMIT)}
          </span>
          <button type="button" className="small" onClick={() => find(true)}>
            Previous
          </button>
          <button type="submit" className="small">
            Next
          </button>
          <button type="button" className="small" onClick={closeSearch}>
            Close search
          </button>
        </form>
      ) : null}
      {/* Who shares it and with whom (the sharer's tab), or who shared it and what this node may do. */}
      {joined ? (
        <JoinedBar tab={tab} share={joined.share} sharerName={joined.sharerName} ended={dead} />
      ) : !dead && state.phase !== 'connecting' ? (
        <SharePanel tab={tab} />
      ) : null}
      {/* Above the output, in the flow: it covers no line of it, nor sits under the toasts. */}
      {dead ? (
        <div className="overlay overlay-end" role="status">
          <p tabIndex={-1} ref={ended}>
            {state.phase === 'exited'
              ? `The session ${state.detail}.`
              : joined
                ? tab.session.started
                  ? `The share ended: ${state.detail}`
                  : `Could not join ${joined.sharerName}'s terminal on ${tab.target.peerName}: ${state.detail}`
                : tab.session.started
                  ? `The session ended: ${state.detail}`
                  : `Could not open a terminal on ${tab.target.peerName}: ${state.detail}`}
          </p>
          {/* A share that ended is joined again only while it is still offered (the sharer may not
              have stopped it: this node fell behind, or its connection dropped). */}
          {!joined || offered ? (
            <button type="button" className="primary" onClick={onRestart}>
              {joined ? 'Join again' : tab.session.started ? 'New session' : 'Try again'}
            </button>
          ) : null}
        </div>
      ) : null}
      {/* Above the output too, in the flow (the terminal is a line shorter meanwhile): an overlay hid
          the end of the first line. */}
      {/* Keys typed meanwhile are sent once it opens; the detail says when some were not (too many). */}
      {state.phase === 'connecting' ? (
        <div className="overlay overlay-bar">
          Connecting to {tab.target.peerName}…{' '}
          {state.detail ? <span className="muted">{state.detail}</span> : null}
        </div>
      ) : null}
      {state.phase === 'reconnecting' ? (
        <div className="overlay overlay-bar" role="status">
          reconnecting… <span className="muted">{state.detail}</span>
        </div>
      ) : null}
      <div className="terminal-host" ref={host} />
      {keyRow && !dead ? <KeyRow tab={tab} /> : null}
    </div>
  );
}
