/**
 * The web UI (docs/web-ui.md) as a part of the agent's lifecycle (run-agent.ts). It is built before
 * the API handler, which answers `ui.url` from it, and it serves that handler once the agent runs:
 * the handler is what its start is given, so neither is bound to the other after it was built.
 */
import type { ApiHandler } from '../api/contract.js';
import type { StreamUpgradeHandlers } from '../api/stream-upgrade.js';
import { ClawError } from '../core/errors.js';
import { checkUiListen, startWebUi, type WebUiOptions, type WebUiServer } from '../api/web-ui/server.js';

export interface WebUiPart {
  /** The link to open (`newToken` replaces the token first); refused until the server listens. */
  url(newToken: boolean): string;
  /** The server, once it listens. */
  readonly server: WebUiServer | undefined;
  /** Listens, serving `handler` and the streaming methods. */
  start(handler: ApiHandler, streams: StreamUpgradeHandlers): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The web UI on `opts.listen`. An address other machines can reach without `allowRemote` is refused
 * here, before anything listens.
 */
export function webUiPart(opts: Omit<WebUiOptions, 'handler' | 'streams'>): WebUiPart {
  checkUiListen(opts.listen, opts.allowRemote);
  let server: WebUiServer | undefined;
  return {
    url: (newToken) => {
      if (!server) throw new ClawError('INTERNAL', 'the web UI is not serving yet; ask again in a moment');
      return server.url(newToken);
    },
    get server() {
      return server;
    },
    start: async (handler, streams) => {
      server = await startWebUi({ ...opts, handler, streams });
    },
    stop: async () => {
      await server?.close();
    },
  };
}
