import { useAgent } from '../api/hooks.js';
import { MessageText } from './MessageText.js';

/**
 * Says when the window cannot reach its agent. A lost agent is retried by the transport and the banner
 * goes away by itself; a refused token cannot be fixed by retrying, so that one says what to do.
 */
export function ConnectionBanner() {
  const connection = useAgent((s) => s.connection);
  const loadError = useAgent((s) => s.loadError);
  if (connection.kind === 'reconnecting' && connection.stopped) {
    return (
      <div className="banner banner-error" role="alert">
        The Clawbridge agent is not running: <MessageText text={connection.reason} />. Start it again with
        Start agent in the tray menu.
      </div>
    );
  }
  if (connection.kind === 'reconnecting') {
    return (
      <div className="banner banner-warn" role="status">
        Clawbridge agent unreachable — retrying…
      </div>
    );
  }
  if (connection.kind === 'unauthorized') {
    return (
      <div className="banner banner-error" role="alert">
        This page is not connected to an agent: <MessageText text={connection.reason} />.
      </div>
    );
  }
  if (connection.kind === 'connecting') {
    return (
      <div className="banner" role="status">
        Connecting to the Clawbridge agent…
      </div>
    );
  }
  if (loadError) {
    return (
      <div className="banner banner-error" role="alert">
        Could not read the agent's state: <MessageText text={loadError} />
      </div>
    );
  }
  return null;
}
