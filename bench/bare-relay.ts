/**
 * The baseline relay: the least a WebSocket relay can do. Two clients that connect to the same path are
 * paired and every binary message of one is sent to the other, with the same pause-on-backpressure our
 * relay has (so neither baseline nor ours can win by buffering without bound). No authentication, no
 * framing, no limits: `relay/bare-relay` says what our protocol, auth and routing cost on top of ws.
 * perMessageDeflate is off as in our relay; ws loads bufferutil by itself when it is installed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { WebSocket, WebSocketServer, createWebSocketStream, type RawData } from 'ws';
import type { Duplex } from 'node:stream';

/** Queued bytes towards a client above which the relay stops reading its partner (256 KiB, as ours). */
export const BARE_HIGH_WATER_BYTES = 256 * 1024;

/** Largest message accepted, in bytes (1 MiB, as our relay's maxFrameBytes). */
const BARE_MAX_PAYLOAD = 1024 * 1024;

export interface BareRelay {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** True when ws will use the native bufferutil (masking/unmasking in C) in this process. */
export function bufferutilLoaded(): boolean {
  if (process.env.WS_NO_BUFFER_UTIL) return false;
  try {
    createRequire(import.meta.url)('bufferutil');
    return true;
  } catch {
    return false;
  }
}

/** Starts the bare relay on `host`:0. */
export async function startBareRelay(host = '127.0.0.1'): Promise<BareRelay> {
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: BARE_MAX_PAYLOAD });
  const waiting = new Map<string, WebSocket>();
  wss.on('connection', (ws, req) => {
    ws.on('error', () => ws.terminate());
    const key = req.url ?? '/';
    const other = waiting.get(key);
    if (!other) {
      waiting.set(key, ws);
      ws.once('close', () => {
        if (waiting.get(key) === ws) waiting.delete(key);
      });
      return;
    }
    waiting.delete(key);
    pair(ws, other);
    pair(other, ws);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `ws://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** Forwards `from`'s messages to `to`, pausing `from` while `to` has too much queued. */
function pair(from: WebSocket, to: WebSocket): void {
  let paused = false;
  const written = () => {
    if (paused && to.bufferedAmount <= BARE_HIGH_WATER_BYTES / 2) {
      paused = false;
      from.resume();
    }
  };
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, written);
    if (!paused && to.bufferedAmount > BARE_HIGH_WATER_BYTES) {
      paused = true;
      from.pause();
    }
  });
  from.once('close', () => to.close());
}

/** A client of the bare relay as a Duplex: resolves once connected (paired or waiting for its partner). */
export function connectBare(url: string, key: string): Promise<{ stream: Duplex; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/${key}`, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      resolve({ stream: createWebSocketStream(ws), ws });
    });
  });
}
