/**
 * The page's **Share code** (docs/adr/0123-shared-terminals.md §Link): a code or the sharer's link,
 * **Watch**, then whose terminal it is, who else is there (asked every 2 s, as a joined tab's bar
 * asks), and the terminal itself — the screen as it is, then live output; typing only when the sharer
 * allows it. When the share ends or this viewer is revoked, the page says so.
 */
import { useEffect, useRef, useState } from 'react';
import { ActionButton } from '../../../src-renderer/components/ActionButton.js';
import { ErrorText } from '../../../src-renderer/components/ErrorText.js';
import { Fingerprint } from '../../../src-renderer/components/Fingerprint.js';
import { presentText } from '../../../src-renderer/features/terminals/present-text.js';
import { PageShareViewer, type ShareViewerOptions } from '../../node/share-code-viewer.js';
import { WatchTerminal } from './watch-terminal.js';

/** How often who else is there is asked while watching, in ms (as the window's joined tab: 2 s). */
const PRESENT_POLL_MS = 2000;

type Phase =
  | { at: 'code' }
  | { at: 'meeting' }
  | { at: 'watching'; viewer: PageShareViewer; screen: WatchTerminal; ended?: string };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function WatchView({ options, initialCode }: { options: ShareViewerOptions; initialCode: string }) {
  const [code, setCode] = useState(initialCode);
  const [phase, setPhase] = useState<Phase>({ at: 'code' });
  const [error, setError] = useState<string | null>(null);
  const [present, setPresent] = useState<string | null>(null);
  const host = useRef<HTMLDivElement>(null);

  const watch = async () => {
    setError(null);
    setPhase({ at: 'meeting' });
    let viewer: PageShareViewer;
    try {
      viewer = await PageShareViewer.meet(options, code);
    } catch (err) {
      setPhase({ at: 'code' });
      return setError(message(err));
    }
    const screen = new WatchTerminal(viewer.target.write, (bytes) => viewer.type(bytes));
    setPhase({ at: 'watching', viewer, screen });
    try {
      await viewer.watch({
        output: (bytes) => screen.write(bytes),
        sized: (cols, rows) => screen.sized(cols, rows),
        ended: (reason) => setPhase((p) => (p.at === 'watching' ? { ...p, ended: reason } : p)),
      });
    } catch (err) {
      viewer.close('could not watch');
      setPhase((p) => (p.at === 'watching' ? { ...p, ended: message(err) } : p));
    }
  };

  const watching = phase.at === 'watching' ? phase : undefined;
  useEffect(() => {
    if (watching && host.current) return watching.screen.mount(host.current);
  }, [watching]);
  // Who else is there, while the view lasts.
  const live = watching && watching.ended === undefined ? watching.viewer : undefined;
  useEffect(() => {
    if (!live) return;
    let stopped = false;
    // A failed question keeps the last answer and says nothing, as the window's joined tab does.
    const ask = () => {
      live.present().then(
        (viewers) => {
          if (!stopped) setPresent(presentText(viewers));
        },
        () => undefined,
      );
    };
    ask();
    const timer = setInterval(ask, PRESENT_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [live]);

  return (
    <main className="view watch-view" aria-label="Watch a shared terminal">
      <header className="view-header">
        <h1>Watch a shared terminal</h1>
      </header>
      {!watching ? (
        <form
          className="join-form"
          onSubmit={(e) => {
            e.preventDefault();
            watch().catch((err: unknown) => setError(message(err)));
          }}
        >
          <label className="field">
            <span>Share code</span>
            <input
              value={code}
              onChange={(e) => setCode(e.target.value)}
              placeholder="K7QX-M2RT-9WZA or the sharer's link"
              autoComplete="off"
              spellCheck={false}
              autoFocus
              readOnly={phase.at === 'meeting'}
              aria-invalid={!!error}
              aria-describedby="watch-error"
            />
          </label>
          <ActionButton
            type="submit"
            className="primary"
            unavailable={phase.at === 'meeting' || code.trim() === ''}
          >
            Watch
          </ActionButton>
        </form>
      ) : (
        <section aria-label="Shared terminal" className="watch-screen">
          <p className="watch-whose">
            <strong>{watching.viewer.target.sharerName}</strong>&apos;s terminal on{' '}
            <strong>{watching.viewer.target.host.name}</strong> —{' '}
            {watching.viewer.target.write ? 'you may type' : 'watching (read-only)'}
          </p>
          {watching.ended === undefined && present ? (
            <p className="watch-present" aria-label="Who else is here">
              {present}
            </p>
          ) : null}
          {watching.ended !== undefined ? (
            <p role="status" className="watch-ended">
              The share ended: {watching.ended}
            </p>
          ) : null}
          <div className="xterm-host watch-terminal" ref={host} aria-label="Terminal" />
          <Fingerprint
            value={watching.viewer.identity.fingerprint}
            label="This page's fingerprint (the sharer lists it as a link viewer)"
          />
        </section>
      )}
      <ErrorText error={error} id="watch-error" />
    </main>
  );
}
