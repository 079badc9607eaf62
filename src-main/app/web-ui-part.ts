/**
 * The web UI (docs/web-ui.md) as a part of the agent's lifecycle (run-agent.ts). It is built before
 * the API handler, which answers `ui.url` from it, and it serves that handler once the agent runs:
 * the handler is what its start is given, so neither is bound to the other after it was built.
 */
import type { ServedApi } from '../api/contract-registry.js';
import type { StreamUpgradeHandlers } from '../api/stream-upgrade.js';
import { ClawError } from '../core/errors.js';
import { checkUiListen, startWebUi, type WebUiOptions, type WebUiServer } from '../api/web-ui/server.js';
import { errorMessage } from '../core/errors.js';
import { readLastUiPort, saveLastUiPort } from '../home/ui-port-file.js';

export interface WebUiPart {
  /** The link to open (`newToken` replaces the token first); refused until the server listens. */
  url(newToken: boolean): string;
  /** The server, once it listens. */
  readonly server: WebUiServer | undefined;
  /** Listens, serving `handler` and the streaming methods. */
  start(handler: ServedApi, streams: StreamUpgradeHandlers): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The web UI on `opts.listen`, on the port it served on last when that is free (home/ui-port-file.ts),
 * and that port kept for the next start. An address other machines can reach without `allowRemote` is
 * refused here, before anything listens.
 */
export function webUiPart(opts: Omit<WebUiOptions, 'handler' | 'streams' | 'lastPort'>): WebUiPart {
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
      const lastPort = readLastUiPort(opts.home, opts.listen);
      server = await startWebUi({ ...opts, handler, streams, ...(lastPort ? { lastPort } : {}) });
      if (server.port === lastPort) return;
      try {
        saveLastUiPort(opts.home, opts.listen, server.port);
      } catch (err) {
        opts.notice?.(`cannot keep the web UI's port for the next start: ${errorMessage(err)}`);
      }
    },
    stop: async () => {
      await server?.close();
    },
  };
}
