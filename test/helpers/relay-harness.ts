/**
 * Relay test harness: a relay on 127.0.0.1 port 0, RelayClients waited to 'connected', and a raw
 * WebSocket client that speaks frames by hand for negative tests. Every wait is bounded in time.
 */
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { Identity } from '../../src-main/crypto/identity.js';
import { signIdentity } from '../../src-main/crypto/signature.js';
import {
  decodeRelayFrame,
  encodeRelayFrame,
  RELAY_AUTH_CONTEXT,
  type RelayFrame,
} from '../../src-main/protocol/relay-frames.js';
import type { Circuit } from '../../src-main/transport/circuit.js';
import { RelayClient, type RelayClientOptions } from '../../src-main/transport/relay-client.js';
import { startRelayServer, type RelayServer, type RelayServerOptions } from '../../src-main/relay/server.js';
import { until } from './wait.js';

/** Upper bound of any single wait in these tests, in ms. */
export const WAIT_MS = 5_000;

export function startTestRelay(opts: Partial<RelayServerOptions> = {}): Promise<RelayServer> {
  return startRelayServer({ host: '127.0.0.1', port: 0, ...opts });
}

/** Rejects after `ms` with a message naming what was awaited. */
export function within<T>(what: string, promise: Promise<T>, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The first bytes a TLS client sends (its ClientHello), caught by a listener of our own on 127.0.0.1:
 * `dial(port)` starts the client there and returns how to stop it.
 */
export async function catchClientHello(dial: (port: number) => () => void): Promise<Buffer> {
  const server = createNetServer();
  const caught = new Promise<Buffer>((resolve) =>
    server.once('connection', (s: Socket) =>
      s.once('data', (chunk: Buffer) => {
        resolve(chunk);
        s.destroy();
      }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = dial((server.address() as AddressInfo).port);
  try {
    return await within('a ClientHello', caught);
  } finally {
    stop();
    server.close();
  }
}

/** A RelayClient that has reached 'connected'. Stop it with `client.stop()`. */
export async function connectedClient(
  url: string,
  identity: Identity,
  extra: Partial<RelayClientOptions> = {},
): Promise<RelayClient> {
  const client = new RelayClient({ url, identity, retryDelayMs: () => 50, ...extra });
  const connected = new Promise<void>((resolve) => {
    const off = client.on('state', (s) => {
      if (s === 'connected') {
        off();
        resolve();
      }
    });
  });
  client.start();
  await within(`client ${identity.fingerprint.slice(0, 8)} to connect to ${url}`, connected);
  return client;
}

/** The next 'incoming' circuit on `client`. */
export function nextIncoming(client: RelayClient): Promise<Circuit> {
  return within(
    'an incoming circuit',
    new Promise<Circuit>((resolve) => {
      const off = client.on('incoming', (c) => {
        off();
        resolve(c);
      });
    }),
  );
}

/** The next frame on a circuit, copied. */
export function nextFrame(circuit: Circuit): Promise<Uint8Array> {
  return within(
    'a circuit frame',
    new Promise<Uint8Array>((resolve) => {
      const off = circuit.onFrame((f) => {
        off();
        resolve(Uint8Array.from(f));
      });
    }),
  );
}

/** Opens a circuit from `a` to `b` and returns both ends after one round trip proves it works. */
export async function exchange(a: RelayClient, b: RelayClient): Promise<void> {
  const incoming = nextIncoming(b);
  const ca = await a.openCircuit(b.nodeId, WAIT_MS);
  const cb = await incoming;
  const toB = nextFrame(cb);
  ca.send(new TextEncoder().encode('ping'));
  assertText(await toB, 'ping');
  const toA = nextFrame(ca);
  cb.send(new TextEncoder().encode('pong'));
  assertText(await toA, 'pong');
  ca.close();
}

function assertText(bytes: Uint8Array, expected: string): void {
  const got = new TextDecoder().decode(bytes);
  if (got !== expected) throw new Error(`expected '${expected}', got '${got}'`);
}

/** A hand-driven WebSocket client: sends raw bytes, reads decoded frames, reports how it was closed. */
export class RawClient {
  readonly frames: RelayFrame[] = [];
  readonly raw: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.raw.push(data);
      this.frames.push(decodeRelayFrame(data));
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** @param localAddress the source address to connect from (127.0.0.x emulates another machine) */
  static async connect(url: string, localAddress?: string): Promise<RawClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, rejectUnauthorized: false, localAddress });
    const client = new RawClient(ws);
    await within(
      `raw connection to ${url}`,
      new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
    );
    return client;
  }

  /** Waits for the next frame (in arrival order, each returned once). */
  async next(): Promise<RelayFrame> {
    await until('a relay frame', () => this.frames.length > this.taken);
    return this.frames[this.taken++]!;
  }
  private taken = 0;

  send(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  /**
   * Answers the CHALLENGE as `identity` (or signs as `signer` to forge), with `token`; `wantsObserved`
   * asks for the observed address (as newer nodes do; without it this is an older node's HELLO).
   */
  async authenticate(
    identity: Identity,
    opts: { token?: string; signer?: Identity; wantsObserved?: true } = {},
  ): Promise<void> {
    const challenge = await this.next();
    if (challenge.type !== 'challenge') throw new Error(`expected CHALLENGE, got ${challenge.type}`);
    const signature = signIdentity((opts.signer ?? identity).keyPem, RELAY_AUTH_CONTEXT, this.raw[0]!);
    const ask = opts.wantsObserved ? { wantsObserved: opts.wantsObserved } : {};
    this.send(
      encodeRelayFrame({
        type: 'hello',
        certDer: identity.certDer,
        signature,
        token: opts.token ?? '',
        ...ask,
      }),
    );
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    return within('the relay to close the raw connection', this.closed);
  }
}
