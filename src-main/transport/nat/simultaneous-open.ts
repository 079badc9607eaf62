/**
 * A synchronised TCP simultaneous open (as libp2p's DCUtR times it): both peers agree a start time over
 * the link they already have (through the relay, from its measured RTT), then each connects from a
 * fixed local port to the other's candidates at that instant. Each side's SYN opens its own NAT's
 * mapping for the other's; whichever arrives after the other's NAT has it passes, the kernel turns the
 * crossing SYNs into one connection, and the first candidate that connects wins. Works between NATs
 * that keep ports (nat-kind.ts `preserves-port`), double NAT included; not when a NAT changes ports.
 *
 * Retries on refusal (an RST, e.g. the peer's SYN not sent yet and its host refused ours) until the
 * deadline; dropped SYNs are retried by the kernel within one attempt.
 */
import { connect, createServer, type Socket } from 'node:net';
import { ClawError } from '../../core/errors.js';
import { systemTimers, type Timers } from './timers.js';

/** Pause between attempts at one candidate after a refusal, in ms. */
export const SIMULTANEOUS_OPEN_RETRY_MS = 100;
/** Most attempts at one candidate (the deadline usually ends them first). */
const MAX_ATTEMPTS = 50;

export interface SimultaneousOpenOptions {
  /** The local port both sides announced; bound on every attempt (the kernel's SO_REUSEADDR lets it). */
  localPort: number;
  localAddress?: string;
  candidates: readonly { host: string; port: number }[];
  /** The agreed instant to start (ms since the epoch, the Timers clock). */
  startAt: number;
  /** How long after startAt to keep trying, in ms. */
  withinMs: number;
  timers?: Timers;
  signal?: AbortSignal;
}

function attempt(
  host: string,
  port: number,
  localPort: number,
  localAddress: string | undefined,
  timeoutMs: number,
  timers: Timers,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localPort, ...(localAddress ? { localAddress } : {}) });
    const timer = timers.setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      timers.clearTimeout(timer);
      // The error listener below stays: a socket's later error is the caller's to handle, never a crash.
      resolve(socket);
    });
    socket.once('error', (err) => {
      timers.clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

const sleep = (ms: number, timers: Timers) => new Promise<void>((r) => timers.setTimeout(r, Math.max(0, ms)));

/** Resolves with the first socket connected to a candidate; the others are closed. */
export async function simultaneousOpen(opts: SimultaneousOpenOptions): Promise<Socket> {
  const timers = opts.timers ?? systemTimers;
  const deadline = opts.startAt + opts.withinMs;
  if (opts.candidates.length === 0) throw new ClawError('CONNECT_FAILED', 'simultaneous open: no candidates');
  await sleep(opts.startAt - timers.now(), timers);
  let winner: Socket | undefined;
  const lastErrors: string[] = [];
  const tryOne = async (c: { host: string; port: number }): Promise<Socket> => {
    let last: unknown;
    for (let i = 0; i < MAX_ATTEMPTS && timers.now() < deadline && !winner && !opts.signal?.aborted; i++) {
      try {
        const socket = await attempt(
          c.host,
          c.port,
          opts.localPort,
          opts.localAddress,
          Math.max(1, deadline - timers.now()),
          timers,
        );
        if (winner || opts.signal?.aborted) {
          socket.destroy();
          break;
        }
        winner = socket;
        return socket;
      } catch (err) {
        last = err;
        await sleep(SIMULTANEOUS_OPEN_RETRY_MS, timers);
      }
    }
    lastErrors.push(`${c.host}:${c.port}: ${last instanceof Error ? last.message : 'given up'}`);
    throw last instanceof Error ? last : new Error('given up');
  };
  try {
    return await Promise.any(opts.candidates.map(tryOne));
  } catch {
    throw new ClawError(
      'CONNECT_FAILED',
      `simultaneous open from port ${opts.localPort} reached no candidate (${lastErrors.join('; ')})`,
    );
  }
}

/** A free local TCP port, as the kernel hands one out (it is bound again for the connects). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
