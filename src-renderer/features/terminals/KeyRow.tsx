import { useEffect, useState, type MouseEvent } from 'react';
import { ARROW_KEYS, KEYS_BEFORE_CTRL, type RowKey } from './key-row.js';
import type { TerminalTab } from './terminal-tab.js';

/**
 * The key row under a terminal on a phone (ADR 0094; shown on narrow and touch screens, terminals.css):
 * Esc, Tab, Ctrl, the arrows, and Copy and Paste, which a phone has no shortcut for. A press keeps the
 * focus (and the selection) in the terminal, so the on-screen keyboard stays up.
 */
export function KeyRow({ tab }: { tab: TerminalTab }) {
  const [ctrl, setCtrl] = useState(false);
  useEffect(() => {
    tab.holdCtrl(ctrl, () => setCtrl(false));
  }, [tab, ctrl]);
  useEffect(() => () => tab.holdCtrl(false, () => undefined), [tab]);
  const keep = (e: MouseEvent) => e.preventDefault();
  const key = (k: RowKey) => (
    <button
      key={k.name}
      type="button"
      aria-label={k.name}
      onMouseDown={keep}
      onClick={() => {
        tab.typeKeys(k.sends);
        setCtrl(false);
        tab.focus();
      }}
    >
      {k.label}
    </button>
  );
  return (
    <div className="key-row" role="toolbar" aria-label="Keys">
      {KEYS_BEFORE_CTRL.map(key)}
      <button
        type="button"
        aria-pressed={ctrl}
        onMouseDown={keep}
        onClick={() => {
          setCtrl((c) => !c);
          tab.focus();
        }}
      >
        Ctrl
      </button>
      {ARROW_KEYS.map(key)}
      <button type="button" onMouseDown={keep} onClick={() => tab.copySelection()}>
        Copy
      </button>
      <button
        type="button"
        onMouseDown={keep}
        onClick={() => {
          tab.pasteClipboard();
          tab.focus();
        }}
      >
        Paste
      </button>
    </div>
  );
}
