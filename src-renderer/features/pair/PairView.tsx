import { useEffect, useRef, useState } from 'react';
import type { PairingEvent, PairNewResult } from '../../../src-main/api/contract.js';
import { useIntent, useServices } from '../../api/hooks.js';
import { JoinWithCode } from './JoinWithCode.js';
import { PairNew } from './PairNew.js';
import './pair.css';

/** Pairing both ways: show a code for another device to enter, or enter the other device's code. */
export function PairView() {
  const { client } = useServices();
  const intent = useIntent('pair');
  // A node that only joins (the browser, ADR 0094) has no code to show: the join form is all there is.
  const issues = client.serves('pair.new');
  // A fresh "Pair new device" from elsewhere starts a code at once: that is what the click asked for.
  const [mode, setMode] = useState<'new' | 'join' | null>(intent.pairMode ?? (issues ? null : 'join'));
  const [generation, setGeneration] = useState(intent.pairMode === 'new' ? 1 : 0);
  // A pairing the agent is running already (the window was reloaded or closed meanwhile) is shown
  // again, with its Cancel, instead of an empty view while it goes on unseen.
  const [shownCode, setShownCode] = useState<PairNewResult | undefined>();
  /** The code on show now, so a new one replaces it rather than leaving it open unseen. */
  const onShow = useRef<string | undefined>(undefined);
  const [runningJoin, setRunningJoin] = useState<PairingEvent | undefined>();
  useEffect(() => {
    if (intent.pairMode !== undefined) return;
    let live = true;
    client.call('pair.list', {}).then(
      ({ codes, joins }) => {
        if (!live) return;
        if (joins[0]) {
          setRunningJoin(joins[0]);
          setMode((m) => m ?? 'join');
        } else if (codes[0]) {
          setShownCode(codes[0]);
          setMode((m) => m ?? 'new');
        }
      },
      () => undefined, // an older agent: nothing to show again
    );
    return () => {
      live = false;
    };
  }, [client, intent.pairMode]);
  return (
    <>
      <header className="view-header">
        <h1>Pair</h1>
        {/* A node that only joins (the browser) has nothing to choose between. */}
        {issues ? (
          <div className="actions">
            <button
              type="button"
              className={mode === 'new' ? 'primary' : undefined}
              // Pressed says which one is open, also to a screen reader and in forced colours.
              aria-pressed={mode === 'new'}
              data-focus-main
              onClick={() => {
                if (mode === 'new' && onShow.current !== undefined) {
                  client.call('pair.cancel', { code: onShow.current }).catch(() => undefined);
                }
                onShow.current = undefined;
                setShownCode(undefined);
                setMode('new');
                setGeneration((g) => g + 1);
              }}
            >
              Pair new device
            </button>
            <button
              type="button"
              className={mode === 'join' ? 'primary' : undefined}
              aria-pressed={mode === 'join'}
              onClick={() => setMode('join')}
            >
              Join with code
            </button>
          </div>
        ) : null}
      </header>
      {mode === 'new' ? (
        <PairNew
          key={generation}
          existing={shownCode}
          onCode={(code) => (onShow.current = code)}
          onDone={() => {
            onShow.current = undefined;
            setShownCode(undefined);
            setMode(null);
          }}
        />
      ) : null}
      {mode === 'join' ? (
        <JoinWithCode
          key={runningJoin?.code ?? 'new'}
          initial={runningJoin?.code ?? intent.joinCode ?? ''}
          running={runningJoin}
          onDone={() => {
            setRunningJoin(undefined);
            setMode(issues ? null : 'join');
          }}
        />
      ) : null}
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
