import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useService } from '../../api/hooks.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { PathBadge } from '../../components/PathBadge.js';
import {
  LEAVE_HINT,
  LEAVE_HINT_ID,
  SCREEN_READER_HINT,
  SCREEN_READER_HINT_ID,
  SHORTCUT_HELP,
  SHORTCUTS,
  terminalKeyAction,
} from './keys.js';
import { NEW_TERMINAL_ID, NewTerminal } from './NewTerminal.js';
import { OfferedShares } from './OfferedShares.js';
import { TerminalPane } from './TerminalPane.js';
import { tabBadge, tabNames, type TabNames } from './tab-labels.js';
import { TERMINALS } from './terminal-manager.js';
import type { TerminalTab } from './terminal-tab.js';
import './terminals.css';
import './sharer-fit.css';

/** Tabs of terminals: each names its peer and path; shortcuts open, close and switch them. */
export function TerminalsView() {
  const terminals = useService(TERMINALS);
  const { tabs, active } = useSyncExternalStore(terminals.subscribe, terminals.get);
  const [closing, setClosing] = useState<{ tab: TerminalTab; then: 'tab' | 'terminal' } | null>(null);
  const [picking, setPicking] = useState(false);
  const [helping, setHelping] = useState(false);
  const current = tabs.find((t) => t.key === active) ?? null;
  const names = tabNames(tabs.map((t) => ({ key: t.key, peerName: t.target.peerName })));
  const nameOf = (t: TerminalTab) => names.get(t.key)!;

  // Where the focus goes once a tab is closed: the tab now selected after its ✕ (or "New terminal"
  // when none is left), or its terminal after Alt+Shift+W typed in one. Set at the close itself, so a
  // cancelled question changes nothing.
  const refocus = useRef<'tab' | 'terminal' | null>(null);
  const close = (key: number, then: 'tab' | 'terminal') => {
    refocus.current = then;
    terminals.close(key);
  };
  const askClose = (tab: TerminalTab, then: 'tab' | 'terminal') => {
    if (tab.session.live) setClosing({ tab, then });
    else close(tab.key, then);
  };
  useEffect(() => {
    // After the children's effects (a new pane focuses its terminal) and the dialog's return of the
    // focus to its opener, the ✕ that is gone.
    const then = refocus.current;
    if (!then || closing) return;
    refocus.current = null;
    if (!current) document.getElementById(NEW_TERMINAL_ID)?.focus();
    else if (then === 'tab') focusActiveTab();
    else current.focus();
  });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = terminalKeyAction(e);
      if (action === 'next-tab' || action === 'prev-tab') terminals.cycle(action === 'next-tab' ? 1 : -1);
      else if (action === 'new-tab') setPicking(true);
      else if (action === 'close-tab' && current) askClose(current, 'terminal');
      else if (action === 'leave-terminal') focusActiveTab();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <div className="terminals">
      {/* Headed like every other view, above the tabs (the tabs fill the rest). */}
      <header className="view-header terminals-header">
        <h1>Terminals</h1>
      </header>
      <div className="tabbar">
        {tabs.length > 0 ? (
          <TabStrip
            tabs={tabs}
            active={active}
            nameOf={nameOf}
            onSelect={(key) => terminals.select(key)}
            onCycle={(step) => {
              terminals.cycle(step);
              requestAnimationFrame(focusActiveTab);
            }}
            onClose={(t) => askClose(t, 'tab')}
          />
        ) : null}
        <NewTerminal open={picking} setOpen={setPicking} />
        <ScreenReaderToggle />
        <button
          type="button"
          className="small"
          aria-expanded={helping}
          aria-controls="terminal-shortcuts"
          onClick={() => setHelping(!helping)}
        >
          Keyboard shortcuts
        </button>
        {current ? (
          // Said where the terminal is, and as its input's description (terminal-tab.ts): Tab and
          // Escape stay in the shell, so this is the one way out by keyboard.
          <span className="tabbar-hint" id={LEAVE_HINT_ID}>
            {LEAVE_HINT}
          </span>
        ) : null}
      </div>
      {helping ? (
        <dl className="shortcut-list" id="terminal-shortcuts">
          {SHORTCUTS.map(([keys, what]) => (
            <div key={keys}>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <OfferedShares terminals={terminals} tabs={tabs} />
      {current ? (
        <TerminalPane
          key={current.key}
          tab={current}
          name={nameOf(current).panel}
          onRestart={() => terminals.restart(current.key)}
        />
      ) : (
        <p className="empty">
          No terminal open. Open one from a peer in Peers, or with “New terminal” above. {SHORTCUT_HELP}
        </p>
      )}
      {closing ? (
        <ConfirmDialog
          title={
            names.get(closing.tab.key)?.confirm ?? `Close the terminal on ${closing.tab.target.peerName}?`
          }
          message={<p>The program running there will be ended.</p>}
          confirmLabel="Close terminal"
          onConfirm={() => close(closing.tab.key, closing.then)}
          onClose={() => setClosing(null)}
        />
      ) : null}
    </div>
  );
}

/**
 * Screen reader support for every terminal here, open or new (screen-reader.ts). Until it is on, each
 * terminal's input names it in its description, so a screen-reader user in a terminal hears where it is.
 */
function ScreenReaderToggle() {
  const { screenReader } = useService(TERMINALS);
  const on = useSyncExternalStore(screenReader.subscribe, screenReader.get);
  return (
    <>
      <label className="tabbar-check">
        <input type="checkbox" checked={on} onChange={(e) => screenReader.set(e.target.checked)} />
        Screen reader support
      </label>
      {on ? null : (
        <span className="visually-hidden" id={SCREEN_READER_HINT_ID}>
          {SCREEN_READER_HINT}
        </span>
      )}
    </>
  );
}

/**
 * The tabs and their ✕ buttons. The tab list holds only tabs (a button inside it is not a tab, and a
 * screen reader counting "tab 2 of 4" would count it), so the ✕ buttons are in a row of their own
 * after it; both rows are laid on one CSS grid (subgrid), each ✕ in the column after its tab, so they
 * look like one chip. Only the selected tab and its ✕ are tab stops. The strip scrolls sideways when
 * the tabs are wider than the window.
 */
function TabStrip({
  tabs,
  active,
  nameOf,
  onSelect,
  onCycle,
  onClose,
}: {
  tabs: readonly TerminalTab[];
  active: number | null;
  nameOf: (t: TerminalTab) => TabNames;
  onSelect: (key: number) => void;
  onCycle: (step: 1 | -1) => void;
  onClose: (t: TerminalTab) => void;
}) {
  const strip = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // A tab selected by shortcut or opened off to the right comes into view, its ✕ too when both fit.
    const el = strip.current;
    const i = tabs.findIndex((t) => t.key === active);
    const tab = el?.querySelectorAll<HTMLElement>('[role="tab"]')[i];
    const close = el?.querySelectorAll<HTMLElement>('.tab-close')[i];
    if (!el || !tab || !close) return;
    // Offsets from the strip itself (it is positioned), whatever it is scrolled to.
    const start = tab.offsetLeft;
    const end = close.offsetLeft + close.offsetWidth;
    if (end > el.scrollLeft + el.clientWidth) el.scrollLeft = end - el.clientWidth;
    if (start < el.scrollLeft) el.scrollLeft = start;
  }, [active, tabs]);
  return (
    <div className="tabstrip" ref={strip} style={{ gridTemplateColumns: `repeat(${tabs.length * 2}, auto)` }}>
      <div role="tablist" aria-label="Terminals" className="tabstrip-row">
        {tabs.map((t, i) => (
          <button
            key={t.key}
            type="button"
            role="tab"
            className="tab"
            data-active={t.key === active}
            style={{ gridColumn: i * 2 + 1 }}
            aria-selected={t.key === active}
            aria-controls={`term-${t.key}`}
            tabIndex={t.key === active ? 0 : -1}
            onClick={() => onSelect(t.key)}
            onKeyDown={(e) => {
              // The tabs pattern: arrows move between tabs, one tab stop for the whole list.
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              e.preventDefault();
              onCycle(e.key === 'ArrowRight' ? 1 : -1);
            }}
          >
            {/* Cut short with an ellipsis on screen; the whole name stays the tab's name. */}
            <span className="tab-label">{nameOf(t).label}</span>
            <PathBadge
              kind={t.session.state.phase === 'live' ? t.path : null}
              text={
                t.target.joined && t.session.state.phase === 'live'
                  ? 'shared'
                  : tabBadge(t.session.state.phase, t.session.started, t.path)
              }
            />
          </button>
        ))}
      </div>
      <div className="tabstrip-row">
        {tabs.map((t, i) => (
          <button
            key={t.key}
            type="button"
            className="plain small tab-close"
            data-active={t.key === active}
            style={{ gridColumn: i * 2 + 2 }}
            aria-label={nameOf(t).close}
            // Roving like the tabs: only the selected tab's ✕ is a tab stop, so Tab from the selected
            // tab reaches its own ✕ (not the first tab's). The others stay clickable.
            tabIndex={t.key === active ? 0 : -1}
            onClick={() => onClose(t)}
          >
            ✕
          </button>
        ))}
      </div>
    </div>
  );
}

/** The selected tab takes the focus (after a switch by keyboard, or on the way out of the terminal). */
function focusActiveTab(): void {
  document.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus();
}
