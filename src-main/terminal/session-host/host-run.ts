/**
 * Runs the session host (host-server.ts) for a process whose only job it is, and ends that process
 * when the host is done: the CLI's detached `host-main.js` and the desktop app's utility process
 * (electron/session-host-process.ts) share it, so both exit on the same conditions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PIPE_KEY_BYTES, pipeProofNeeded } from '../../home/pipe-proof.js';
import type { HostLogger } from './host-log.js';
import { errorMessage } from '../../core/errors.js';
import { startSessionHost } from './host-server.js';

/** How often the host checks that its socket file still exists, in ms. */
const SOCKET_CHECK_MS = 5_000;

export interface RunSessionHostOptions {
  socketPath: string;
  log: HostLogger;
  /** The home's pipe.key (home/pipe-proof.ts): read when the socket is a Windows named pipe. */
  keyFile?: string | undefined;
  /** Ends the process (process.exit). */
  exit: (code: number) => void;
}

/** Starts the host; the process exits once it is idle, its socket file is gone, or it cannot start. */
export async function runSessionHost({
  socketPath,
  log,
  exit,
  keyFile,
}: RunSessionHostOptions): Promise<void> {
  try {
    const proofKey = hostProofKey(socketPath, keyFile, process.platform);
    // Exits once closed, or once a close failed: either way nothing is left to serve.
    const closeAndExit = (): void => {
      host.close().then(
        () => exit(0),
        (err: unknown) => {
          log.warn(`the session host did not close cleanly: ${errorMessage(err)}`);
          exit(0);
        },
      );
    };
    const host = await startSessionHost({
      socketPath,
      log,
      proofKey,
      onIdle: () => {
        log.info('no sessions and no agent: the session host exits');
        closeAndExit();
      },
    });
    log.info({ socketPath }, 'session host running');
    // Its socket gone (the node's home removed, e.g. a test's or an uninstalled app's), no agent can
    // reach this process again: waiting out the idle time would only keep the shells running unseen.
    if (process.platform !== 'win32') {
      setInterval(() => {
        if (existsSync(socketPath)) return;
        log.info('the socket file is gone: the session host exits');
        closeAndExit();
      }, SOCKET_CHECK_MS).unref();
    }
  } catch (err) {
    log.error(`session host did not start: ${errorMessage(err)}`);
    exit(1);
  }
}

/**
 * The key a host on `socketPath` asks its connections to prove, or undefined where none is needed.
 * @throws Error when the socket is a Windows named pipe and the key cannot be read: such a host would
 *   be open to any user who can open the pipe, so it does not start.
 */
export function hostProofKey(
  socketPath: string,
  keyFile: string | undefined,
  platform: NodeJS.Platform,
): Buffer | undefined {
  if (!pipeProofNeeded(socketPath, platform)) return undefined;
  if (!keyFile) throw new Error('a named pipe needs the home pipe.key, and none was named');
  const key = readFileSync(keyFile);
  if (key.length !== PIPE_KEY_BYTES) throw new Error(`${keyFile} is not a key`);
  return key;
}
