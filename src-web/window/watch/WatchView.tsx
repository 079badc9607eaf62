/**
 * The page's **Share code** (docs/adr/0123-shared-terminals.md §Link): a code or the sharer's link,
 * **Watch**, then whose terminal it is, who else is there (asked every 2 s, as a joined tab's bar
 * asks), and the terminal itself — the screen as it is, then live output; typing only when the sharer
 * allows it. A dropped link says "reconnecting…" and the screen comes back replayed; a reload of the
 * tab watches again without the code (the viewer the tab kept). When the share ends or this viewer is
 * revoked, the page says so, after a reload too, and offers no spent code again.
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
  | { at: 'code'; over?: string }
  | { at: 'meeting' }
  | {
      at: 'watching';
      viewer: PageShareViewer;
      screen: WatchTerminal;
      /** Why the view was cut, while it is dialed again. */
      reconnecting?: string;
      ended?: { reason: string; shareOver: boolean };
    };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function WatchView({ options, initialCode }: { options: ShareViewerOptions; initialCode: string }) {
  const [code, setCode] = useState(initialCode);
  const [phase, setPhase] = useState<Phase>({ at: 'meeting' });
  const [error, setError] = useState<string | null>(null);
  const [present, setPresent] = useState<string | null>(null);
  const host = useRef<HTMLDivElement>(null);

  const watching = (p: Phase, change: Partial<Extract<Phase, { at: 'watching' }>>): Phase =>
    p.at === 'watching' ? { ...p, ...change } : p;

  /** Watches as `viewer`: the screen, its cuts and mends, its end. */
  const watchAs = async (viewer: PageShareViewer) => {
    const screen = new WatchTerminal(viewer.target.write, (bytes) => viewer.type(bytes));
    setPhase({ at: 'watching', viewer, screen });
    try {
      await viewer.watch({
        output: (bytes) => screen.write(bytes),
        sized: (cols, rows) => screen.sized(cols, rows),
        reconnecting: (why) => setPhase((p) => watching(p, { reconnecting: why })),
        resumed: () => {
          // The view starts with the screen as it is: drawn anew, not under the old one.
          screen.term.reset();
          setPhase((p) => watching(p, { reconnecting: undefined }));
        },
        ended: (reason, shareOver) =>
          setPhase((p) => watching(p, { reconnecting: undefined, ended: { reason, shareOver } })),
      });
    } catch (err) {
      viewer.close('could not watch');
      // A refusal said already that the share is over (ended): that stands.
      setPhase((p) =>
        p.at === 'watching' && p.ended
          ? p
          : watching(p, { ended: { reason: message(err), shareOver: false } }),
      );
    }
  };

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
    await watchAs(viewer);
  };

  // A reload: the viewer this tab met the code as watches again, without the spent code.
  useEffect(() => {
    let gone = false;
    (async () => {
      const kept = await PageShareViewer.kept(options, initialCode);
      if (gone) return;
      if (!kept) return setPhase({ at: 'code' });
      if (kept.ended !== undefined) {
        setCode('');
        return setPhase({ at: 'code', over: kept.ended });
      }
      await watchAs(await PageShareViewer.resume(options, kept));
    })().catch((err: unknown) => {
      if (gone) return;
      setPhase({ at: 'code' });
      setError(message(err));
    });
    return () => {
      gone = true;
    };
    // Once, when the page opens.
  }, []);

  const shown = phase.at === 'watching' ? phase : undefined;
  const screen = shown?.screen;
  useEffect(() => {
    if (screen && host.current) return screen.mount(host.current);
  }, [screen]);
  // Who else is there, while the view lasts.
  const live = shown && shown.ended === undefined && !shown.reconnecting ? shown.viewer : undefined;
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
      {phase.at === 'code' && phase.over !== undefined ? (
        <p role="status" className="watch-ended">
          The share ended: {phase.over}
        </p>
      ) : null}
      {!shown ? (
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
            <strong>{shown.viewer.target.sharerName}</strong>&apos;s terminal on{' '}
            <strong>{shown.viewer.target.host.name}</strong> —{' '}
            {shown.viewer.target.write ? 'you may type' : 'watching (read-only)'}
          </p>
          {live && present ? (
            <p className="watch-present" aria-label="Who else is here">
              {present}
            </p>
          ) : null}
          {shown.reconnecting !== undefined && shown.ended === undefined ? (
            <p role="status" className="watch-reconnecting" title={shown.reconnecting}>
              Connection lost — reconnecting…
            </p>
          ) : null}
          {shown.ended !== undefined ? (
            <p role="status" className="watch-ended">
              {shown.ended.shareOver ? 'The share ended: ' : 'Disconnected: '}
              {shown.ended.reason}
            </p>
          ) : null}
          <div className="xterm-host watch-terminal" ref={host} aria-label="Terminal" />
          <Fingerprint
            value={shown.viewer.identity.fingerprint}
            label="This page's fingerprint (the sharer lists it as a link viewer)"
          />
        </section>
      )}
      <ErrorText error={error} id="watch-error" />
    </main>
  );
}
