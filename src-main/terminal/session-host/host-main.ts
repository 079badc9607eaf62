/**
 * Entry of the session-host process (host-server.ts): `node host-main.js SOCKET_PATH [KEY_FILE]`
 * (KEY_FILE: the home's pipe.key, which a Windows named pipe needs, home/pipe-proof.ts), started
 * detached by the CLI agent (host-client.ts) with its log file as stdout. Exits once idle
 * (host-run.ts). The desktop app runs the same host as a utility process instead
 * (electron/session-host-process.ts).
 */
import { fileLogDestination } from '../../home/log-destination.js';
import { hostLogger } from './host-log.js';
import { runSessionHost } from './host-run.js';

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: host-main SOCKET_PATH\n');
  process.exit(2);
}
// Its stdout is session-host.log in the home: a full disk drops lines instead of stopping the host.
const log = hostLogger(fileLogDestination(1), { pid: process.pid, part: 'session-host' });
// A broken pipe or a signal from the agent's terminal must not end the shells this process keeps.
process.on('SIGHUP', () => undefined);
process.on('SIGINT', () => undefined);
// Not awaited at the top level: bundled (scripts/vite-cli.config.ts), this entry shares chunks with code
// loaded later, which could not import an entry still suspended in a top-level await.
runSessionHost({ socketPath, keyFile: process.argv[3], log, exit: (code) => process.exit(code) }).catch(
  (err: unknown) => {
    log.fatal({ err }, 'the session host failed');
    process.exit(1);
  },
);
