/**
 * A bare TCP connect to a relay's host and port, repeated while the relay is down (relay-client.ts):
 * far cheaper than a WebSocket and TLS handshake, and it tells when the relay accepts connections again,
 * so the client connects then instead of when its backoff ends.
 */
import { connect } from 'node:net';

/** The host and port a `ws://` or `wss://` URL connects to. */
export function relayEndpoint(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'wss:' ? 443 : 80;
  // URL keeps an IPv6 host in brackets; net.connect wants it bare.
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Resolves true when a TCP connection to `host:port` opens within `timeoutMs` (it is closed at once). */
export function tcpOpens(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(open);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Probes `url` every `intervalMs` (one probe at a time) and calls `onOpen` once when one connects.
 * Returns the function that stops probing.
 */
export function probeUntilOpen(url: string, intervalMs: number, onOpen: () => void): () => void {
  const { host, port } = relayEndpoint(url);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const probed = (open: boolean) => {
      if (stopped) return;
      if (open) {
        stopped = true;
        return onOpen();
      }
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    };
    // A probe that failed outright is one that found nothing open: it is tried again.
    tcpOpens(host, port, intervalMs).then(probed, () => probed(false));
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
