import type { ReactNode } from 'react';
import { useAgent, useServices } from '../api/hooks.js';
import { useLongWait } from '../lib/use-long-wait.js';
import { HintedText } from './HintedText.js';

/**
 * Says when the window cannot reach its agent. A lost agent is retried by the transport and the banner
 * goes away by itself; a refused token cannot be fixed by retrying, so that one says what to do. The
 * region is always there and only its text changes: a live region inserted with its text already in
 * it is skipped by many screen readers.
 */
export function ConnectionBanner() {
  const shown = useBanner();
  // What cannot fix itself (a stopped agent, a refused token) is an alert; the rest is polite.
  return (
    <>
      <div role="alert">{shown?.urgent ? shown.banner : null}</div>
      <div role="status">{shown && !shown.urgent ? shown.banner : null}</div>
    </>
  );
}

function useBanner(): { banner: ReactNode; urgent: boolean } | null {
  const connection = useAgent((s) => s.connection);
  const loadError = useAgent((s) => s.loadError);
  const web = useServices().platform === 'web';
  const long = useLongWait(connection.kind === 'reconnecting' && !connection.stopped);
  const banner = (kind: string, text: ReactNode) => ({
    banner: <div className={`banner ${kind}`}>{text}</div>,
    urgent: kind === 'banner-error',
  });
  if (connection.kind === 'reconnecting' && connection.stopped) {
    return banner(
      'banner-error',
      <>
        The Clawbridge agent is not running: {connection.reason}. Start it again with Start agent in the tray
        menu.
      </>,
    );
  }
  if (connection.kind === 'reconnecting') {
    // A browser tab knows only the address it was opened at: an agent started again with
    // `--ui-listen 127.0.0.1:0` serves its window on another port, and this one would retry forever.
    // The desktop app's window follows its own agent, so it keeps the short banner.
    return banner(
      'banner-warn',
      <>
        Clawbridge agent unreachable — retrying…
        {long && web ? (
          <>
            {' '}
            The agent may have restarted on another address: run <code>clawbridge ui</code> for the current
            link.
          </>
        ) : null}
      </>,
    );
  }
  if (connection.kind === 'unauthorized') {
    return banner(
      'banner-error',
      <>
        This page is not connected to an agent: <HintedText text={connection.reason} hint={connection.hint} />
        .
      </>,
    );
  }
  if (connection.kind === 'connecting') return banner('', 'Connecting to the Clawbridge agent…');
  if (loadError) {
    return banner('banner-error', <>Could not read the agent's state: {loadError}</>);
  }
  return null;
}
