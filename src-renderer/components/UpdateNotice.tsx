import { useState } from 'react';
import { desktopUpdates, useUpdateStatus } from '../lib/desktop-updates.js';
import { useAction } from '../lib/use-action.js';
import { ActionButton } from './ActionButton.js';
import { ErrorText } from './ErrorText.js';

/**
 * "Update ready — restart to update (vX.Y.Z)" above every view of the desktop app's window, with the
 * release notes from the feed. Nothing restarts by itself: the restart is the user's click, and while
 * terminals or transfers run main says so first and the user chooses ("Restart anyway"). An update
 * found in notify mode offers its download, or its release page where this build cannot install it.
 */
export function UpdateNotice() {
  const status = useUpdateStatus();
  const updates = desktopUpdates();
  const restart = useAction();
  const download = useAction();
  const [why, setWhy] = useState<string | null>(null);
  if (!updates || !status) return null;
  const { state } = status;
  if (state.phase === 'available') {
    return (
      <aside className="banner banner-info update-notice" aria-label="Update available">
        <p>
          <strong>Update available (v{state.version})</strong>
          {state.link ? (
            <>
              {' '}
              — this copy cannot install it itself:{' '}
              <a href={state.link} target="_blank" rel="noreferrer">
                download it from the release page
              </a>
            </>
          ) : null}
        </p>
        <ReleaseNotes notes={state.notes} />
        {state.link ? null : (
          <ActionButton unavailable={download.busy} onClick={() => download.start(() => updates.download())}>
            Download
          </ActionButton>
        )}
        <ErrorText error={download.error} />
      </aside>
    );
  }
  if (state.phase !== 'ready') return null;
  const go = (confirmed: boolean) =>
    restart.start(async () => {
      const verdict = await updates.restart(confirmed);
      setWhy(verdict.now ? null : verdict.why);
    });
  return (
    <aside className="banner banner-info update-notice" aria-label="Update ready">
      <p>
        <strong>Update ready — restart to update (v{state.version})</strong>
      </p>
      <ReleaseNotes notes={state.notes} />
      {why ? (
        <p role="alert">
          {why[0]?.toUpperCase()}
          {why.slice(1)}.
        </p>
      ) : null}
      <div className="row">
        <ActionButton className="primary" unavailable={restart.busy} onClick={() => go(why !== null)}>
          {why ? 'Restart anyway' : 'Restart to update'}
        </ActionButton>
      </div>
      <ErrorText error={restart.error} />
    </aside>
  );
}

function ReleaseNotes({ notes }: { notes: string }) {
  if (!notes) return null;
  return (
    <details>
      <summary>What is new</summary>
      <p className="release-notes">{notes}</p>
    </details>
  );
}
