/**
 * The agent's direct listener (architecture.md §Links and paths): pinned TLS on `HOST:PORT`, falling back to a free port when
 * the configured one is taken (a second agent on one machine, a test), so a busy port never keeps the
 * agent from starting; any other failure is one line naming the address.
 */
import { ClawError } from '../core/errors.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { listenDirect, type DirectListener, type DirectListenerOptions } from '../transport/direct.js';

/** @throws ClawError('BAD_ARGUMENT') `cannot listen for direct links on …: <why>` */
export async function openDirectListener(
  listen: string,
  opts: Omit<DirectListenerOptions, 'host' | 'port'>,
  warn: (line: string) => void,
): Promise<DirectListener> {
  const { host, port } = parseHostPort(listen);
  try {
    return await listenDirect({ ...opts, host, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `cannot listen for direct links on ${listen}: ${(err as Error).message}`,
      );
    }
    const listener = await listenDirect({ ...opts, host, port: 0 });
    warn(
      `${listen} is in use (another agent, or another program); listening for direct links on ${formatHostPort(host, listener.port)} instead`,
    );
    return listener;
  }
}
