import { useState, useSyncExternalStore } from 'react';
import { useServices } from '../../api/hooks.js';
import { JoinWithCode } from './JoinWithCode.js';
import { PairNew } from './PairNew.js';
import './pair.css';

/** Pairing both ways: show a code for another device to enter, or enter the other device's code. */
export function PairView() {
  const { nav } = useServices();
  const { intent } = useSyncExternalStore(nav.subscribe, nav.get);
  // A fresh "Pair new device" from elsewhere starts a code at once: that is what the click asked for.
  const [mode, setMode] = useState<'new' | 'join' | null>(intent.pairMode ?? null);
  const [generation, setGeneration] = useState(intent.pairMode === 'new' ? 1 : 0);
  return (
    <>
      <header className="view-header">
        <h1>Pair</h1>
        <div className="actions">
          <button
            type="button"
            className={mode === 'new' ? 'primary' : undefined}
            onClick={() => {
              setMode('new');
              setGeneration((g) => g + 1);
            }}
          >
            Pair new device
          </button>
          <button
            type="button"
            className={mode === 'join' ? 'primary' : undefined}
            onClick={() => setMode('join')}
          >
            Join with code
          </button>
        </div>
      </header>
      {mode === 'new' ? <PairNew key={generation} onDone={() => setMode(null)} /> : null}
      {mode === 'join' ? <JoinWithCode initial={intent.joinCode ?? ''} onDone={() => setMode(null)} /> : null}
      {mode === null ? (
        <div className="empty">
          <p>
            <strong>Pair new device</strong> shows a one-time code on this device; type it on the other one
            (or scan the QR code) and approve it here.
          </p>
          <p>
            <strong>Join with code</strong> is for the other side: enter the code another device shows, then
            wait for it to approve this one.
          </p>
        </div>
      ) : null}
    </>
  );
}
