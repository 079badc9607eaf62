/**
 * One WebSocket connection from a node to a relay, from dial to close: certificate check, challenge
 * signing, circuits, heartbeats. Reconnecting is RelayClient's job; a session ends exactly once and
 * takes its circuits with it.
 */
import { rendezvousAlias } from '../protocol/rendezvous.js';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { signIdentity } from '../crypto/signature.js';
import { RelayCloseCode, relayCloseCodeName } from '../protocol/relay-close-codes.js';
import {
  DATA_HEADER_BYTES,
  decodeRelayFrame,
  relayMessageBytes,
  encodeDataFrame,
  encodeRelayFrame,
  RELAY_ASSIGNED_CIRCUIT_BIT,
  RELAY_AUTH_CONTEXT,
  RELAY_FEATURE_LISTEN_TAG,
  RELAY_FEATURE_OBSERVED_ADDRESS,
  relayFeatures,
  RelayFrameError,
  writeDataHeader,
  type ObservedEndpoint,
  type RelayFrame,
} from '../protocol/relay-frames.js';
import { DEFAULT_RELAY_LIMITS } from '../protocol/relay-limits.js';
import { spliceJoinFor, type SpliceJoin } from '../protocol/relay-splice.js';
import { RelayCircuit, type CircuitCarrier } from './relay-circuit.js';
import { circuitRefusedError, relayCloseError, relayConnectError } from './relay-errors.js';
import { checkRelayCertificate, type PinHint } from './relay-tls.js';

/** Bytes queued on the relay socket above which Circuit.send returns false (shared by all circuits). */
export const RELAY_SEND_HIGH_WATER_BYTES = 512 * 1024;
/** Bytes queued below which `drain` fires again; half the high-water mark, so drain does not flap. */
export const RELAY_SEND_LOW_WATER_BYTES = 128 * 1024;
/** DATA frames in memory nobody zero-fills: the encoder writes every byte (protocol/relay-frames.ts). */
const allocUnsafe = (size: number): Buffer => Buffer.allocUnsafe(size);

/** Largest message accepted from a relay, in bytes: bounds what a misbehaving relay can make us buffer. */
export const RELAY_CLIENT_MAX_PAYLOAD = 16 * 1024 * 1024;
/** Time from dialing to AUTH_OK (TCP, TLS, upgrade, challenge, signature), in ms. */
export const RELAY_CONNECT_TIMEOUT_MS = 15_000;
/** How long a closing handshake may take before the socket is destroyed, in ms. */
const CLOSE_TIMEOUT_MS = 2_000;
/**
 * The TLS cipher suites a node offers its relay: TLS 1.3's three, and TLS 1.2's ECDHE AEAD suites
 * (which any TLS 1.2 server in front of a relay takes), not Node's default list of ~60. A relay keeps
 * the list each client offered for the life of its connection (docs/design/relay-memory.md §What a node
 * costs; ADR 0069).
 */
export const RELAY_CLIENT_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** An idle session pings this many times less often than one with circuits (60 s of 15 s; ADR 0061). */
const IDLE_PING_MULTIPLE = DEFAULT_RELAY_LIMITS.idlePingIntervalMs / DEFAULT_RELAY_LIMITS.pingIntervalMs;

/**
 * WebSocket masking key for every frame this client sends: all zero, so ws sends payloads as they are
 * instead of copying each one to XOR it. Masking protects proxies from script-chosen bytes in browser
 * traffic; a node's frames are relay headers and AEAD ciphertext, nothing a script chooses
 * (docs/adr/0002-ws-client-zero-mask.md).
 */
function zeroMask(mask: Buffer): void {
  // Four stores, not fill(): this runs once per frame sent.
  mask[0] = mask[1] = mask[2] = mask[3] = 0;
}

export interface SessionConfig {
  url: string;
  certDer: Uint8Array;
  key: KeyObject;
  nodeId: string;
  pinned: string | undefined;
  pinHint: ((url: string, got: string) => PinHint) | undefined;
  caPem: string | undefined;
  token: string;
  pingIntervalMs: number;
  /**
   * Interval between pings while the session has no circuit and no open pending (ADR 0061); at most
   * half the relay's idle timeout from AUTH_OK. Four times pingIntervalMs unless set.
   */
  idlePingIntervalMs?: number;
  /** Local address to dial from; the system's choice unless set. */
  localAddress?: string;
  log: Logger;
}

/** What a relay that takes RELAY_FEATURE_OBSERVED_ADDRESS said it sees, beside this end's own address. */
export interface SeenByRelay {
  observed: ObservedEndpoint;
  /** This connection's local address and port, as the kernel bound it. */
  local: { address: string; port: number } | undefined;
}

export interface SessionHooks {
  /** `seen` when the relay told where it sees this connection come from (newer relays do). */
  authenticated(seen: SeenByRelay | undefined): void;
  incoming(circuit: RelayCircuit): void;
  /** Once; `error` is undefined only after close() (a local stop). */
  ended(error: ClawError | undefined): void;
}

interface PendingOpen {
  target: string;
  resolve: (circuit: RelayCircuit) => void;
  reject: (err: ClawError) => void;
  timer: NodeJS.Timeout;
}

const violation = (what: string) =>
  new RelayFrameError('PROTOCOL', `protocol violation: ${what}`, RelayCloseCode.PROTOCOL_VIOLATION);

export class RelaySession implements CircuitCarrier {
  private readonly ws: WebSocket;
  private readonly circuits = new Map<number, RelayCircuit>();
  private readonly pending = new Map<number, PendingOpen>();
  private helloSent = false;
  private authed = false;
  private done = false;
  /** Why the session failed, when we know better than the close code (TLS check, protocol error, heartbeat). */
  private failure: ClawError | undefined;
  private maxFrameBytes = DEFAULT_RELAY_LIMITS.maxFrameBytes;
  /** The relay's feature words from its CHALLENGE (`splice`). */
  private features: string[] = [];
  /** This end of the connection, read at the upgrade (for what the relay observes of it). */
  private local: { address: string; port: number } | undefined;
  private nextId = 1;
  private missedPongs = 0;
  /** When the last ping went out, in ms (performance.now()). */
  private lastPingAt = 0;
  /** How often an idle session pings (ADR 0061), in ms: set at AUTH_OK. */
  private idlePingMs = 0;
  /** Pings sent and pongs received: the relay answers pings in order, after every frame sent before. */
  private pingsSent = 0;
  private pongsSeen = 0;
  /** settled() callers, each waiting for the pong of its own ping. */
  private readonly pongWaiters: { ping: number; done: (ok: boolean) => void }[] = [];
  private needDrain = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly onWritten = () => {
    if (this.needDrain && this.ws.bufferedAmount <= RELAY_SEND_LOW_WATER_BYTES) {
      this.needDrain = false;
      for (const circuit of [...this.circuits.values()]) circuit.drained();
    }
  };

  constructor(
    private readonly cfg: SessionConfig,
    private readonly hooks: SessionHooks,
  ) {
    const options: ClientOptions & { closeTimeout: number } = {
      perMessageDeflate: false,
      maxPayload: RELAY_CLIENT_MAX_PAYLOAD,
      handshakeTimeout: RELAY_CONNECT_TIMEOUT_MS,
      // Verification still runs and is reported on the socket; relay-tls.ts decides (pin or CA) on upgrade.
      rejectUnauthorized: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
      generateMask: zeroMask,
      ciphers: RELAY_CLIENT_CIPHERS,
      // `ca` replaces Node's default CA list, so it is passed only when the user gave one, or empty for
      // a pinned relay, whose certificate no CA decides on (relay-tls.ts): Node then parses none of the
      // root certificates it bundles for the connection's context.
      ...(cfg.caPem ? { ca: cfg.caPem } : cfg.pinned ? { ca: [] } : {}),
      ...(cfg.localAddress ? { localAddress: cfg.localAddress } : {}),
    };
    this.ws = new WebSocket(cfg.url, options);
    this.connectTimer = setTimeout(() => {
      this.fail(
        new ClawError(
          'RELAY_UNREACHABLE',
          `relay ${cfg.url} did not complete authentication within ${RELAY_CONNECT_TIMEOUT_MS / 1000} s — check the address; retrying`,
        ),
      );
    }, RELAY_CONNECT_TIMEOUT_MS);
    this.ws.on('upgrade', (res) => {
      const refusal = checkRelayCertificate(cfg.url, res.socket, cfg.pinned, cfg.pinHint);
      if (refusal) return this.fail(refusal);
      const { localAddress, localPort } = res.socket;
      if (localAddress && localPort) this.local = { address: localAddress, port: localPort };
    });
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('pong', () => {
      this.missedPongs = 0;
      this.pongsSeen += 1;
      while (this.pongWaiters.length > 0 && this.pongWaiters[0]!.ping <= this.pongsSeen) {
        this.pongWaiters.shift()!.done(true);
      }
    });
    this.ws.on('error', (err) => {
      this.failure ??= relayConnectError(cfg.url, err);
    });
    this.ws.on('close', (code, reason) => {
      this.end(this.failure ?? relayCloseError(cfg.url, code, reason.toString()));
    });
  }

  /** Asks the relay for a circuit to `target` (canonical fingerprint); resolves on OPEN_OK. */
  open(target: string, timeoutMs: number): Promise<RelayCircuit> {
    if (!this.authed || this.done) {
      return Promise.reject(new ClawError('RELAY_UNREACHABLE', `not connected to relay ${this.cfg.url}`));
    }
    const circuitId = this.allocateId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(circuitId);
        this.sendClose(circuitId, RelayCloseCode.NORMAL, 'open timed out');
        reject(
          new ClawError(
            'TIMEOUT',
            `relay ${this.cfg.url} did not answer a circuit request to peer ${abbreviateFingerprint(target)} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(circuitId, { target, resolve, reject, timer });
      this.send(encodeRelayFrame({ type: 'open', circuitId, target }));
    });
  }

  /** Starts or stops receiving circuits addressed to a rendezvous alias (pairing). */
  listen(alias: string, on: boolean): void {
    if (this.authed) this.send(encodeRelayFrame({ type: 'listen', alias, listen: on }));
  }

  /**
   * Same for a pairing code's tag: as LISTEN_TAG where the relay takes it (it derives the alias, so
   * nobody can listen on a node ID there), else as LISTEN with the alias, as older relays expect.
   */
  listenTag(tag: string, on: boolean): void {
    if (!this.authed) return;
    if (this.features.includes(RELAY_FEATURE_LISTEN_TAG))
      this.send(encodeRelayFrame({ type: 'listen-tag', tag, listen: on }));
    else this.listen(rendezvousAlias(tag), on);
  }

  /** Local stop: closes the connection and ends the session without an error. */
  close(): void {
    if (this.done) return;
    this.end(undefined);
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(RelayCloseCode.NORMAL, 'node stopping');
  }

  sendData(circuitId: number, payload: Uint8Array): boolean {
    if (this.done || this.ws.readyState !== WebSocket.OPEN) return false;
    this.checkPayload(payload.length);
    return this.sendFrame(encodeDataFrame(circuitId, payload, allocUnsafe));
  }

  sendDataFramed(circuitId: number, frame: Uint8Array): boolean {
    if (this.done || this.ws.readyState !== WebSocket.OPEN) return false;
    this.checkPayload(frame.length - DATA_HEADER_BYTES);
    writeDataHeader(frame, circuitId);
    return this.sendFrame(frame);
  }

  private checkPayload(length: number): void {
    const limit = Math.min(this.maxFrameBytes, RELAY_CLIENT_MAX_PAYLOAD) - DATA_HEADER_BYTES;
    if (length > limit) {
      throw new ClawError(
        'FRAME_TOO_LARGE',
        `relay circuit frame of ${length} bytes exceeds the relay's limit of ${limit}`,
      );
    }
  }

  private sendFrame(frame: Uint8Array): boolean {
    this.ws.send(frame, this.onWritten);
    if (this.ws.bufferedAmount <= RELAY_SEND_HIGH_WATER_BYTES) return true;
    this.needDrain = true;
    return false;
  }

  sendClose(circuitId: number, code: number, reason: string): void {
    this.send(encodeRelayFrame({ type: 'close', circuitId, code, reason }));
  }

  forget(circuitId: number): void {
    this.circuits.delete(circuitId);
  }

  offerSplice(circuitId: number, token: Uint8Array): SpliceJoin | undefined {
    const join = spliceJoinFor(this.features);
    if (!this.authed || !join || this.done || this.ws.readyState !== WebSocket.OPEN) return undefined;
    this.send(encodeRelayFrame({ type: 'splice', circuitId, token }));
    return join;
  }

  private send(frame: Uint8Array): void {
    if (!this.done && this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, this.onWritten);
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId >= RELAY_ASSIGNED_CIRCUIT_BIT - 1 ? 1 : this.nextId + 1;
      if (!this.circuits.has(id) && !this.pending.has(id)) return id;
    }
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.done) return;
    try {
      const bytes = relayMessageBytes(data, isBinary);
      this.handle(decodeRelayFrame(bytes, RELAY_CLIENT_MAX_PAYLOAD), bytes);
    } catch (err) {
      if (!(err instanceof RelayFrameError)) throw err;
      const name = relayCloseCodeName(err.closeCode) ?? 'MALFORMED_FRAME';
      this.failure ??= new ClawError(
        'PROTOCOL',
        `relay ${this.cfg.url} sent an invalid frame (${err.message}) — is it a clawbridge relay of a compatible version?`,
      );
      this.end(this.failure);
      // A closing handshake (bounded by closeTimeout) so the relay learns why.
      this.ws.close(err.closeCode, name.toLowerCase());
    }
  }

  private handle(frame: RelayFrame, raw: Uint8Array): void {
    switch (frame.type) {
      case 'challenge': {
        if (this.helloSent) throw violation('second CHALLENGE');
        this.maxFrameBytes = frame.maxFrameBytes;
        this.features = relayFeatures(frame.relayInfo);
        this.helloSent = true;
        this.cfg.log.debug({ relay: frame.relayInfo }, 'relay challenge');
        // The signature covers the whole CHALLENGE frame: nonce, limits and relay info as received.
        const signature = signIdentity(this.cfg.key, RELAY_AUTH_CONTEXT, raw);
        // Only a relay that announced it is asked: an older one refuses a HELLO with a flags byte.
        const ask = this.features.includes(RELAY_FEATURE_OBSERVED_ADDRESS)
          ? { wantsObserved: true as const }
          : {};
        return this.send(
          encodeRelayFrame({
            type: 'hello',
            certDer: this.cfg.certDer,
            signature,
            token: this.cfg.token,
            ...ask,
          }),
        );
      }
      case 'auth-ok': {
        if (!this.helloSent || this.authed) throw violation('unexpected AUTH_OK');
        if (frame.nodeId !== this.cfg.nodeId) throw violation(`AUTH_OK for node ${frame.nodeId}`);
        this.authed = true;
        clearTimeout(this.connectTimer);
        // The relay cuts a node it hears nothing from for its idle timeout: two idle pings fit in it.
        this.idlePingMs = Math.max(
          this.cfg.pingIntervalMs,
          Math.min(
            this.cfg.idlePingIntervalMs ?? this.cfg.pingIntervalMs * IDLE_PING_MULTIPLE,
            frame.idleTimeoutMs / 2,
          ),
        );
        this.lastPingAt = performance.now();
        this.heartbeatTimer = setInterval(() => this.heartbeat(), this.cfg.pingIntervalMs);
        return this.hooks.authenticated(
          frame.observed ? { observed: frame.observed, local: this.local } : undefined,
        );
      }
      case 'open-ok': {
        const open = this.pending.get(frame.circuitId);
        // Not pending: we gave up waiting and already sent CLOSE for it.
        if (!open) return;
        this.pending.delete(frame.circuitId);
        clearTimeout(open.timer);
        const circuit = new RelayCircuit(this, frame.circuitId, open.target, this.cfg.url, true);
        this.circuits.set(frame.circuitId, circuit);
        return open.resolve(circuit);
      }
      case 'incoming': {
        if (!this.authed) throw violation('INCOMING before AUTH_OK');
        const id = frame.circuitId;
        if (id < RELAY_ASSIGNED_CIRCUIT_BIT || this.circuits.has(id))
          throw violation(`INCOMING with circuit id ${id}`);
        const circuit = new RelayCircuit(this, id, frame.source, this.cfg.url, false);
        this.circuits.set(id, circuit);
        return this.hooks.incoming(circuit);
      }
      case 'data':
        return this.circuits.get(frame.circuitId)?.deliver(frame.payload);
      case 'close': {
        const open = this.pending.get(frame.circuitId);
        if (open) {
          this.pending.delete(frame.circuitId);
          clearTimeout(open.timer);
          return open.reject(circuitRefusedError(this.cfg.url, open.target, frame.code, frame.reason));
        }
        const circuit = this.circuits.get(frame.circuitId);
        if (!circuit) return;
        this.circuits.delete(frame.circuitId);
        return circuit.ended(
          circuitRefusedError(this.cfg.url, circuit.claimedPeerId, frame.code, frame.reason),
        );
      }
      default:
        throw violation(`relays do not send ${frame.type.toUpperCase()}`);
    }
  }

  /**
   * Every pingIntervalMs. With circuits (or an open pending) it pings each time, as before; without,
   * only every idlePingMs (ADR 0061): an idle relay's CPU goes to its nodes' heartbeats, one ping in and
   * one pong out each, and most nodes on a relay are idle. A missed pong brings back the short interval,
   * so an idle session still gives up a dead relay within about idlePingMs + 2 × pingIntervalMs.
   */
  private heartbeat(): void {
    const idle = this.circuits.size === 0 && this.pending.size === 0;
    if (
      idle &&
      this.missedPongs === 0 &&
      performance.now() - this.lastPingAt < this.idlePingMs - this.cfg.pingIntervalMs / 2
    ) {
      return;
    }
    if (this.missedPongs >= DEFAULT_RELAY_LIMITS.maxMissedPongs) {
      return this.fail(
        new ClawError(
          'RELAY_UNREACHABLE',
          `relay ${this.cfg.url} stopped answering heartbeats; reconnecting`,
        ),
      );
    }
    this.missedPongs += 1;
    this.ping();
  }

  private ping(): number {
    this.lastPingAt = performance.now();
    this.ws.ping();
    return ++this.pingsSent;
  }

  /**
   * Resolves true once the relay has handled every frame sent before this call (it answers a ping in
   * order, after reading what came before it), false if the session ends first. This holds because the
   * relay's ws server hands each message over as it parses it (`allowSynchronousEvents`, ws's default).
   */
  settled(): Promise<boolean> {
    if (!this.authed || this.done) return Promise.resolve(false);
    const ping = this.ping();
    return new Promise((done) => this.pongWaiters.push({ ping, done }));
  }

  /** Ends the session with `error` and drops the socket without a closing handshake. */
  private fail(error: ClawError): void {
    this.failure ??= error;
    this.end(this.failure);
    this.ws.terminate();
  }

  private end(error: ClawError | undefined): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.connectTimer);
    clearInterval(this.heartbeatTimer);
    for (const waiter of this.pongWaiters.splice(0)) waiter.done(false);
    const lost = new ClawError(
      'LINK_CLOSED',
      `relay ${this.cfg.url} connection ${error ? `lost: ${error.message}` : 'closed'}`,
    );
    for (const open of this.pending.values()) {
      clearTimeout(open.timer);
      open.reject(lost);
    }
    this.pending.clear();
    const circuits = [...this.circuits.values()];
    this.circuits.clear();
    for (const circuit of circuits) circuit.ended(lost);
    this.hooks.ended(error);
  }
}
