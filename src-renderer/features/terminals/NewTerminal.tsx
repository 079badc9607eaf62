import { useEffect, useRef, useState } from 'react';
import { usePeers, useService } from '../../api/hooks.js';
import { TERMINALS } from './terminal-manager.js';
import { peerChoices } from './peer-choices.js';

/**
 * "New terminal": pick a peer online now (peer-choices.ts); the others are listed disabled with their
 * state, and with none online the picker says why instead.
 */
/** The "New terminal" button's id: the focus goes there when the last tab closes. */
export const NEW_TERMINAL_ID = 'new-terminal';
const PICKER_ID = 'new-terminal-picker';

export function NewTerminal({ open, setOpen }: { open: boolean; setOpen: (v: boolean) => void }) {
  const terminals = useService(TERMINALS);
  const { choices, none } = peerChoices(usePeers());
  const [peer, setPeer] = useState('');
  const first = choices.find((c) => !c.disabled)?.fingerprint ?? '';
  const choice = choices.some((c) => c.fingerprint === peer && !c.disabled) ? peer : first;
  // Escape or Cancel puts the focus back on the button the picker replaced (it is a new element).
  const button = useRef<HTMLButtonElement>(null);
  const returning = useRef(false);
  useEffect(() => {
    if (open || !returning.current) return;
    returning.current = false;
    button.current?.focus();
  }, [open]);
  const dismiss = () => {
    returning.current = true;
    setOpen(false);
  };
  const toggle = (
    <button
      type="button"
      className="small"
      id={NEW_TERMINAL_ID}
      ref={button}
      aria-expanded={open}
      aria-controls={open ? PICKER_ID : undefined}
      onClick={() => (open ? dismiss() : setOpen(true))}
    >
      New terminal
    </button>
  );
  if (!open) return <div className="new-terminal">{toggle}</div>;
  const go = () => {
    const p = choices.find((x) => x.fingerprint === choice && !x.disabled);
    if (p) terminals.open({ peer: p.fingerprint, peerName: p.name });
    setOpen(false);
  };
  // The picker opens below the button, over the terminal, rather than in the tab bar: the bar (and
  // so the terminal's size) stays as it is while the picker is open.
  return (
    <div className="new-terminal">
      {toggle}
      <form
        className="inline-form picker-popover"
        id={PICKER_ID}
        aria-label="New terminal"
        onSubmit={(e) => {
          e.preventDefault();
          go();
        }}
        onKeyDown={(e) => {
          if (e.key !== 'Escape') return;
          e.preventDefault();
          dismiss();
        }}
      >
        {none ? (
          <p className="picker-none" id="new-terminal-none">
            {none}
          </p>
        ) : null}
        <label>
          <span className="visually-hidden">Peer</span>
          <select
            value={choice}
            onChange={(e) => setPeer(e.target.value)}
            aria-describedby={none ? 'new-terminal-none' : undefined}
            onKeyDown={(e) => {
              // A closed select takes Enter to open its list, and never submits its form: Enter here
              // means "open the terminal", as the button does (Alt+Shift+T lands here).
              if (e.key !== 'Enter' || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
              e.preventDefault();
              go();
            }}
            autoFocus
          >
            {choices.length === 0 ? <option value="">No peers</option> : null}
            {choices.map((p) => (
              <option key={p.fingerprint} value={p.fingerprint} disabled={p.disabled}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="small primary" disabled={!choice}>
          Open terminal
        </button>
        <button type="button" className="small" onClick={dismiss}>
          Cancel
        </button>
      </form>
    </div>
  );
}
