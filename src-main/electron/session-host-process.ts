/**
 * Entry of the utility process main forks for the desktop app's session host
 * (session-host-launcher.ts; docs/adr/0022-session-host.md): it waits for main's start message, then
 * runs the same host as the CLI's detached `host-main.js` (host-run.ts), logging to the file main
 * names, and exits when the host is done. No `electron` import: Electron gives utility processes
 * `process.parentPort`, and the tests give a child_process stand-in the same shape.
 */
import { openSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { errorMessage } from '../core/errors.js';
import { fileLogDestination } from '../home/log-destination.js';
import { runSessionHost, type RunSessionHostOptions } from '../terminal/session-host/host-run.js';
import type { ParentPortLike } from './agent-process.js';
import { hostToSessionHostMessage } from './session-host-process-messages.js';

export interface SessionHostProcessDeps {
  run: (opts: RunSessionHostOptions) => Promise<void>;
  /** The host's logger writing to `path`. */
  logger: (path: string) => Logger;
  /** Ends the process (process.exit). */
  exit: (code: number) => void;
}

/** Serves main's start message on `port`: the first valid one starts the host; the rest are ignored. */
export function serveSessionHostProcess(port: ParentPortLike, deps: SessionHostProcessDeps): void {
  let started = false;
  port.on('message', ({ data }) => {
    const parsed = hostToSessionHostMessage.safeParse(data);
    if (!parsed.success)
      return console.error('clawbridge: ignored a message from main that is not understood');
    if (started) return;
    started = true;
    const { socketPath, logPath, keyFile } = parsed.data;
    const log = deps.logger(logPath);
    // As host-main.ts: a host that cannot run says why and ends, so main starts another.
    deps.run({ socketPath, keyFile, log, exit: deps.exit }).catch((err: unknown) => {
      log.fatal({ err }, 'the session host failed');
      deps.exit(1);
    });
  });
}

/** pino at info to `path`, opened 0600 and appended; stderr when it cannot be opened. */
export function sessionHostLogger(path: string): Logger {
  const base = { part: 'session-host', pid: process.pid };
  try {
    // A full disk drops lines instead of stopping the host (home/log-destination.ts).
    return pino({ level: 'info', base }, fileLogDestination(openSync(path, 'a', 0o600)));
  } catch (err) {
    console.error(`clawbridge: cannot write ${path} (${errorMessage(err)}); logging to stderr`);
    return pino({ level: 'info', base }, pino.destination(2));
  }
}

const parentPort = (process as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) {
  serveSessionHostProcess(parentPort, {
    run: runSessionHost,
    logger: sessionHostLogger,
    exit: (code) => process.exit(code),
  });
}
