/**
 * Turns a relay circuit into a Link: runs the E2E handshake (crypto/e2e-handshake.ts) over the circuit,
 * then seals every outgoing frame and opens every incoming one (crypto/records.ts). The relay only ever
 * sees ciphertext. Any record that fails to open closes the circuit and the Link with that error: there
 * is no recovery inside a session, the agent reconnects and a fresh handshake makes fresh keys.
 */
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError, isClawError, refusalOf } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { HandshakeInitiator, HandshakeResponder, type HandshakeIdentity } from '../crypto/e2e-handshake.js';
import type { E2ESession, SessionOptions } from '../crypto/records.js';
import type { SpliceJoin } from '../protocol/relay-splice.js';
import type { Circuit } from './circuit.js';
import { MAX_LINK_FRAME, type Link, type PathKind } from './link.js';
import { isFramingCircuit } from './relay-circuit.js';
import { DisposableStore } from '../core/disposables.js';

/** Time in milliseconds the whole handshake may take (3 messages over two relay hops, one X25519 each). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Bytes of decrypted frames held for a Link nobody listens to yet (4 MiB): frames can arrive between
 * the handshake's end and the owner's first `onFrame`; beyond this the owner is not reading at all.
 */
export const MAX_EARLY_BYTES = 4 * 1024 * 1024;

export interface SecureCircuitOptions {
  identity: HandshakeIdentity;
  /** The fingerprint the peer must prove. Required when this node opened the circuit. */
  expectedPeer?: string;
  /** Accepts or refuses (by throwing) a proven initiator. Required when this node accepted the circuit. */
  verifyPeer?: (fingerprint: string, certDer: Uint8Array) => void;
  /** Defaults to HANDSHAKE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Bytes both ends agree on, bound into the handshake transcript. */
  prologue?: Uint8Array;
  /** Record-layer tunables (key-update limits); defaults suit production, tests lower them. */
  session?: SessionOptions;
  /** What the Link reports as its path: `relay` unless given (a routed link says `route`). */
  path?: PathKind;
}

type Events = { frame: [Uint8Array]; drain: []; close: [Error | undefined] };

/**
 * Runs the E2E handshake over `circuit` (as initiator when `circuit.initiator`) and resolves with a
 * Link whose peerId is the proven fingerprint.
 * @throws (rejects) ClawError(`FINGERPRINT_MISMATCH`), (`HANDSHAKE_FAILED`), (`TIMEOUT`), whatever
 *   `verifyPeer` throws, or ClawError(`BAD_ARGUMENT`) for missing options. The circuit is closed on failure.
 */
export function secureCircuit(circuit: Circuit, opts: SecureCircuitOptions): Promise<Link> {
  const timeoutMs = opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  const peerName = abbreviateFingerprint(opts.expectedPeer ?? circuit.claimedPeerId);
  return new Promise<Link>((resolve, reject) => {
    const disposables = new DisposableStore();
    let settled = false;
    const cleanup = (): void => {
      clearTimeout(timer);
      disposables.dispose();
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      const error = err instanceof Error ? err : new ClawError('INTERNAL', String(err));
      // A refusal (verifyPeer threw one) travels as a code too, so the other side never parses text.
      circuit.close(`end-to-end handshake failed: ${error.message}`, refusalOf(error));
      reject(error);
    };
    const succeed = (session: E2ESession): void => {
      settled = true;
      cleanup();
      resolve(new E2ELink(circuit, session, opts.path ?? 'relay'));
    };
    const timer = setTimeout(
      () =>
        fail(
          new ClawError(
            'TIMEOUT',
            `end-to-end handshake with ${peerName} via ${circuit.relayUrl} timed out after ${timeoutMs} ms — the peer may be offline or running an incompatible version`,
          ),
        ),
      timeoutMs,
    );
    disposables.add(
      circuit.onClose((error) =>
        fail(
          new ClawError(
            'HANDSHAKE_FAILED',
            `relay circuit to ${peerName} closed during the end-to-end handshake${error ? `: ${error.message}` : ''}`,
            error ? { cause: error } : undefined,
          ),
        ),
      ),
    );
    try {
      if (circuit.closed)
        throw new ClawError('LINK_CLOSED', `relay circuit to ${peerName} is already closed`);
      const common = {
        identity: opts.identity,
        ...(opts.prologue ? { prologue: opts.prologue } : {}),
        ...(opts.session ? { session: opts.session } : {}),
      };
      if (circuit.initiator) {
        if (!opts.expectedPeer) {
          throw new ClawError(
            'BAD_ARGUMENT',
            'secureCircuit needs expectedPeer when this node opened the circuit',
          );
        }
        const hs = new HandshakeInitiator({ ...common, expectedPeer: opts.expectedPeer });
        disposables.add(
          circuit.onFrame((frame) => {
            try {
              const { message, session } = hs.receive(frame);
              // The Link subscribes before msg3 leaves, so the peer's first record cannot be missed.
              succeed(session);
              circuit.send(message);
            } catch (err) {
              fail(err);
            }
          }),
        );
        circuit.send(hs.start());
      } else {
        const verifyPeer = opts.verifyPeer;
        if (!verifyPeer) {
          throw new ClawError(
            'BAD_ARGUMENT',
            'secureCircuit needs verifyPeer when this node accepted the circuit',
          );
        }
        const hs = new HandshakeResponder({ ...common, verifyPeer });
        let gotMsg1 = false;
        disposables.add(
          circuit.onFrame((frame) => {
            try {
              if (!gotMsg1) {
                gotMsg1 = true;
                circuit.send(hs.receive(frame));
              } else {
                succeed(hs.finish(frame));
              }
            } catch (err) {
              fail(err);
            }
          }),
        );
      }
    } catch (err) {
      fail(err);
    }
  });
}

/** The Link over an established session. Constructed synchronously with the handshake's last step. */
class E2ELink implements Link {
  readonly peerId: string;
  readonly remote: string;
  readonly initiator: boolean;
  private readonly events = new Emitter<Events>();
  private readonly disposables = new DisposableStore();
  /** Frames opened before anyone listened; undefined once delivery is live. */
  private early: Uint8Array[] | undefined = [];
  private earlyBytes = 0;
  private flushScheduled = false;
  private isClosed = false;

  constructor(
    private readonly circuit: Circuit,
    private readonly session: E2ESession,
    readonly path: PathKind,
  ) {
    this.peerId = session.peerId;
    this.remote = circuit.relayUrl;
    this.initiator = circuit.initiator;
    // Subscribed before the handshake's last frame returns, so no record can slip past unopened.
    this.disposables.add(
      circuit.onFrame((record) => this.onRecord(record)),
      circuit.onDrain(() => this.events.emit('drain')),
      circuit.onClose((error) =>
        this.finish(error ?? new ClawError('LINK_CLOSED', `relay circuit via ${this.remote} closed`)),
      ),
    );
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Seals and sends one frame. After close it drops the frame and returns false (onClose has fired). */
  send(frame: Uint8Array): boolean {
    return this.sendSealed(frame, frame.length);
  }

  /**
   * Seals and sends the frame `head ‖ body` without joining the parts first (the mux's DATA frames:
   * header and payload), so the payload is read once, by the cipher. Both parts are read before it returns.
   */
  sendParts(head: Uint8Array, body: Uint8Array): boolean {
    return this.sendSealed([head, body], head.length + body.length);
  }

  private sendSealed(frame: Uint8Array | readonly Uint8Array[], length: number): boolean {
    if (this.isClosed) return false;
    if (length > MAX_LINK_FRAME) {
      throw new ClawError('FRAME_TOO_LARGE', `link frame of ${length} bytes exceeds ${MAX_LINK_FRAME}`);
    }
    const circuit = this.circuit;
    let ok = true;
    // Usually one record; a due key update comes first and both must go out in order.
    if (isFramingCircuit(circuit)) {
      // Sealed with room for the circuit's header: the record is not copied again to prepend it.
      for (const record of this.session.seal(frame, circuit.headroom)) ok = circuit.sendFramed(record) && ok;
    } else {
      for (const record of this.session.seal(frame)) ok = circuit.send(record) && ok;
    }
    return ok;
  }

  /** Tells the relay this end agrees to splice the circuit (Circuit.offerSplice). */
  offerSplice(token: Uint8Array): SpliceJoin | undefined {
    return this.isClosed ? undefined : this.circuit.offerSplice?.(token);
  }

  onFrame(listener: (frame: Uint8Array) => void): Disposer {
    const dispose = this.events.on('frame', listener);
    if (this.early && !this.flushScheduled) {
      // Held frames go out after on() returns and before any newer frame (newer ones queue behind).
      this.flushScheduled = true;
      queueMicrotask(() => this.flushEarly());
    }
    return dispose;
  }

  private flushEarly(): void {
    const early = this.early ?? [];
    // Indexed loop: a listener may cause more records to arrive, which append to this same array.
    for (let i = 0; i < early.length && !this.isClosed; i++) this.events.emit('frame', early[i]!);
    this.early = undefined;
  }

  onDrain(listener: () => void): Disposer {
    return this.events.on('drain', listener);
  }

  onClose(listener: (error?: Error) => void): Disposer {
    return this.events.on('close', listener);
  }

  close(reason?: string): void {
    if (this.isClosed) return;
    // finish() first: it unsubscribes, so the circuit's own close event cannot relabel a clean close.
    this.finish(undefined);
    this.circuit.close(reason);
  }

  private onRecord(record: Uint8Array): void {
    if (this.isClosed) return;
    let frame: Uint8Array | null;
    try {
      frame = this.session.open(record);
    } catch (err) {
      // Fail closed: stop reading, tell the owner, then close the circuit so the peer learns why.
      const error = isClawError(err) ? err : new ClawError('DECRYPT_FAILED', String(err));
      this.fail(error);
      return;
    }
    if (frame === null) return; // key update, nothing to deliver
    if (this.early) {
      this.earlyBytes += frame.length;
      if (this.earlyBytes > MAX_EARLY_BYTES) {
        this.fail(
          new ClawError(
            'PROTOCOL',
            `relay link to ${this.peerId.slice(0, 8)} has no reader and buffered ${MAX_EARLY_BYTES} bytes`,
          ),
        );
        return;
      }
      this.early.push(frame);
      return;
    }
    this.events.emit('frame', frame);
  }

  private fail(error: ClawError): void {
    this.finish(error);
    this.circuit.close(`end-to-end channel failed: ${error.message}`);
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.early = undefined;
    this.disposables.dispose();
    this.events.emit('close', error);
    this.events.removeAll();
  }
}
