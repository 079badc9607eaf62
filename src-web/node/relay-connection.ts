/**
 * A browser node's connection to its relay (ADR 0094): a WebSocket (the page's, or `ws` in Node),
 * authenticated as the node by signing the relay's CHALLENGE with the identity key, then circuits it
 * opens to node IDs or rendezvous aliases. The relay only ever carries what circuits send: ciphertext
 * for a link, CPace messages for pairing. One connection; the caller makes a new one when it drops.
 */
import { NODE_REFUSAL_BASE, RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import {
  DATA_HEADER_BYTES,
  decodeRelayFrame,
  encodeDataFrame,
  encodeRelayFrame,
  fitReason,
  RELAY_AUTH_CONTEXT,
  type RelayFrame,
} from '../../src-main/protocol/relay-frames.js';
import { MAX_MUX_FRAME } from '../../src-main/protocol/mux-frames.js';
import { RECORD_OVERHEAD } from '../../src-main/crypto/record-format.js';
import { BrowserNodeError, REFUSALS } from './bytes.js';
import type { BrowserIdentity } from './identity.js';
import { signIdentity } from './primitives.js';

/**
 * The largest frame a browser takes from its relay, whatever CHALLENGE says: a circuit's DATA carries
 * one E2E record of one mux frame at most (CPace messages and handshakes are smaller), and a browser
 * asks for nothing bigger. The relay's frames are the agent's (protocol/relay-frames.ts, ADR 0116).
 */
const MAX_RELAY_FRAME_BYTES = DATA_HEADER_BYTES + MAX_MUX_FRAME + RECORD_OVERHEAD;

/** The frames a relay sends; decoding one of another kind fails, as the agent's relay client does. */
const decodeRelayIn = (bytes: Uint8Array): RelayFrame => decodeRelayFrame(bytes, MAX_RELAY_FRAME_BYTES);
const encodeClose = (circuitId: number, code: number, reason: string) =>
  encodeRelayFrame({ type: 'close', circuitId, code, reason: fitReason(reason) });

/** What a browser's WebSocket and the `ws` package's both are, as far as this module uses them. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

/** How long connecting and authenticating may take, and opening a circuit, in ms. */
export const RELAY_CONNECT_TIMEOUT_MS = 10_000;
const OPEN = 1;

/** One circuit: whole frames in order, both ways, until either end closes it. */
export interface BrowserCircuit {
  send(frame: Uint8Array): void;
  onFrame(listener: (frame: Uint8Array) => void): void;
  /** `refusal`: the device's refusal code when it closed the circuit refusing this browser. */
  onClose(listener: (reason: string, refusal?: string) => void): void;
  close(reason: string): void;
  readonly closed: boolean;
}

class Circuit implements BrowserCircuit {
  private frameListener: ((frame: Uint8Array) => void) | undefined;
  private readonly held: Uint8Array[] = [];
  private readonly closeListeners: ((reason: string, refusal?: string) => void)[] = [];
  closed = false;

  constructor(
    private readonly relay: RelayConnection,
    readonly id: number,
  ) {}

  send(frame: Uint8Array): void {
    if (!this.closed) this.relay.sendRaw(encodeDataFrame(this.id, frame));
  }
  onFrame(listener: (frame: Uint8Array) => void): void {
    this.frameListener = listener;
    // Frames that came before anyone listened go first, in order.
    for (const f of this.held.splice(0)) listener(f);
  }
  onClose(listener: (reason: string, refusal?: string) => void): void {
    if (this.closed) listener('closed');
    else this.closeListeners.push(listener);
  }
  close(reason: string): void {
    if (this.closed) return;
    this.relay.sendRaw(encodeClose(this.id, 0, reason));
    this.ended(reason);
  }
  /** @internal */
  deliver(frame: Uint8Array): void {
    if (this.frameListener) this.frameListener(frame);
    else this.held.push(frame.slice());
  }
  /** @internal */
  ended(reason: string, refusal?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.relay.forget(this.id);
    for (const l of this.closeListeners.splice(0)) l(reason, refusal);
  }
}

export class RelayConnection {
  /** This node's ID as the relay confirmed it. */
  nodeId = '';
  private readonly circuits = new Map<number, Circuit>();
  private readonly opening = new Map<number, (err?: Error) => void>();
  private nextId = 1;
  private closeListeners: ((reason: string) => void)[] = [];
  private isClosed = false;

  private constructor(private readonly socket: SocketLike) {}

  /**
   * Connects and authenticates. @throws BrowserNodeError('RELAY_FAILED') with the relay's reason, or
   * ('TIMEOUT').
   */
  static connect(
    url: string,
    identity: BrowserIdentity,
    socketFactory: SocketFactory,
    token = '',
  ): Promise<RelayConnection> {
    const socket = socketFactory(url);
    socket.binaryType = 'arraybuffer';
    const relay = new RelayConnection(socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close(1000, 'timed out');
        reject(new BrowserNodeError('TIMEOUT', `relay ${url} did not authenticate this browser in time`));
      }, RELAY_CONNECT_TIMEOUT_MS);
      let authed = false;
      // The relay's CHALLENGE is its first word: a close before any means it was never reached.
      let heard = false;
      socket.onmessage = (event) => {
        heard = true;
        const bytes = messageBytes(event.data);
        if (authed) return relay.onFrame(bytes);
        let frame: RelayFrame;
        try {
          frame = decodeRelayIn(bytes);
        } catch (err) {
          clearTimeout(timer);
          socket.close(1002, 'malformed frame');
          return reject(err instanceof Error ? err : new Error(String(err)));
        }
        if (frame.type === 'challenge') {
          // HELLO signs the CHALLENGE frame's exact bytes (relay/auth.ts).
          signIdentity(identity.privateKey, RELAY_AUTH_CONTEXT, bytes).then(
            (signature) =>
              socket.send(encodeRelayFrame({ type: 'hello', certDer: identity.certDer, signature, token })),
            // A key WebCrypto cannot sign with ends the connection, and says why.
            (err: unknown) => {
              clearTimeout(timer);
              socket.close();
              reject(err instanceof Error ? err : new Error(String(err)));
            },
          );
        } else if (frame.type === 'auth-ok') {
          authed = true;
          clearTimeout(timer);
          relay.nodeId = frame.nodeId;
          resolve(relay);
        }
      };
      socket.onclose = (event) => {
        clearTimeout(timer);
        relay.ended(`relay closed the connection (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
        if (!authed) {
          reject(
            new BrowserNodeError(
              'RELAY_FAILED',
              heard
                ? `relay ${url} refused this browser: ${event.reason || event.code}`
                : `cannot reach the relay at ${url}: check the network and try again`,
            ),
          );
        }
      };
      socket.onerror = () => undefined;
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Opens a circuit to `target` (a node ID or a rendezvous alias, 64 hex). */
  openCircuit(target: string): Promise<BrowserCircuit> {
    if (this.isClosed)
      return Promise.reject(new BrowserNodeError('RELAY_FAILED', 'the relay connection is closed'));
    const id = this.nextId++;
    const circuit = new Circuit(this, id);
    this.circuits.set(id, circuit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new BrowserNodeError('TIMEOUT', 'the relay did not open the circuit in time')),
        RELAY_CONNECT_TIMEOUT_MS,
      );
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.opening.delete(id);
        if (err) {
          circuit.ended(err.message);
          reject(err);
        } else resolve(circuit);
      };
      this.opening.set(id, done);
      this.sendRaw(encodeRelayFrame({ type: 'open', circuitId: id, target }));
    });
  }

  onClose(listener: (reason: string) => void): void {
    if (this.isClosed) listener('closed');
    else this.closeListeners.push(listener);
  }

  close(reason = 'closed'): void {
    if (this.socket.readyState === OPEN) this.socket.close(1000, reason);
    this.ended(reason);
  }

  /** @internal */
  sendRaw(frame: Uint8Array): void {
    if (!this.isClosed && this.socket.readyState === OPEN) this.socket.send(frame);
  }
  /** @internal */
  forget(id: number): void {
    this.circuits.delete(id);
  }

  private onFrame(bytes: Uint8Array): void {
    let frame: RelayFrame;
    try {
      frame = decodeRelayIn(bytes);
    } catch (err) {
      this.socket.close(1002, 'malformed frame');
      this.ended((err as Error).message);
      return;
    }
    switch (frame.type) {
      case 'open-ok':
        return this.opening.get(frame.circuitId)?.();
      case 'data':
        return this.circuits.get(frame.circuitId)?.deliver(frame.payload);
      case 'close': {
        const why = frame.reason || `closed (${frame.code})`;
        const waiting = this.opening.get(frame.circuitId);
        // Nobody by that ID or alias is on the relay: for a rendezvous, the code is unknown there.
        const offline = frame.code === RelayCloseCode.PEER_OFFLINE;
        if (waiting) return waiting(new BrowserNodeError(offline ? 'PEER_OFFLINE' : 'RELAY_FAILED', why));
        const refused = frame.code >= NODE_REFUSAL_BASE && frame.code < NODE_REFUSAL_BASE + 100;
        const refusal = refused ? (REFUSALS[frame.code - NODE_REFUSAL_BASE] ?? 'UNSPECIFIED') : undefined;
        return this.circuits.get(frame.circuitId)?.ended(why, refusal);
      }
      case 'incoming':
        // A browser accepts no circuits: it is reached only through the ones it opens.
        return this.sendRaw(encodeClose(frame.circuitId, 0, 'a browser node accepts no circuits'));
      default:
        return;
    }
  }

  private ended(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const done of [...this.opening.values()]) done(new BrowserNodeError('RELAY_FAILED', reason));
    for (const c of [...this.circuits.values()]) c.ended(reason);
    for (const l of this.closeListeners.splice(0)) l(reason);
  }
}

function messageBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  throw new BrowserNodeError('BAD_FRAME', 'the relay sent a text message');
}

/** Where a node reconnects to its relay: the relay's URL, the socket maker, its access token. */
export interface RelayAddress {
  relayUrl: string;
  socket: SocketFactory;
  token?: string;
}

/**
 * `relay` while it is open, else a new, authenticated connection to the same relay: a guest that dials
 * again after a drop (a code's receiver, a link's viewer) needs the relay back before the peer.
 */
export async function relayStillOrAgain(
  relay: RelayConnection,
  at: RelayAddress,
  identity: BrowserIdentity,
): Promise<RelayConnection> {
  return relay.closed ? RelayConnection.connect(at.relayUrl, identity, at.socket, at.token) : relay;
}
