/**
 * Entry of the session-host process (host-server.ts): `node host-main.js SOCKET_PATH`, started
 * detached by the agent (host-client.ts) with its log file as stdout. Exits once idle.
 */
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { errorMessage } from '../../core/errors.js';
import { startSessionHost } from './host-server.js';

/** How often the host checks that its socket file still exists, in ms. */
const SOCKET_CHECK_MS = 5_000;

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: host-main SOCKET_PATH\n');
  process.exit(2);
}
const log = pino({ level: 'info', base: { part: 'session-host', pid: process.pid } });
// A broken pipe or a signal from the agent's terminal must not end the shells this process keeps.
process.on('SIGHUP', () => undefined);
process.on('SIGINT', () => undefined);
try {
  const host = await startSessionHost({
    socketPath,
    log,
    onIdle: () => {
      log.info('no sessions and no agent: the session host exits');
      void host.close().finally(() => process.exit(0));
    },
  });
  log.info({ socketPath }, 'session host running');
  // Its socket gone (the node's home removed, e.g. a test's or an uninstalled app's), no agent can
  // reach this process again: waiting out the idle time would only keep the shells running unseen.
  if (process.platform !== 'win32') {
    setInterval(() => {
      if (existsSync(socketPath)) return;
      log.info('the socket file is gone: the session host exits');
      void host.close().finally(() => process.exit(0));
    }, SOCKET_CHECK_MS).unref();
  }
} catch (err) {
  log.error(`session host did not start: ${errorMessage(err)}`);
  process.exit(1);
}
