/**
 * Everything the relay does with a TCP connection before it is a WebSocket or a splice
 * (docs/relay-protocol.md §Transport, §Limits). The relay's HTTP(S) server never listens itself: this
 * module owns every accepted socket, because Node tracks and times out only connections that a listening
 * http.Server accepted (headersTimeout, requestTimeout, closeAllConnections), and none of those cover a
 * TLS handshake. So, per accepted socket:
 *
 * - it is counted for its address at once (ip-limits.ts), before any TLS or HTTP work;
 * - it has `deadlineMs` (the auth timeout) from accept to become a WebSocket or a splice: a half-sent
 *   ClientHello or HTTP request, or an idle keep-alive HTTP connection, is closed then;
 * - its first bytes say what it is: a splice line, or a ClientHello whose server name names a splice
 *   (ADR 0040), goes to the splice broker; other TLS and HTTP go to the HTTP(S) server with the bytes
 *   put back;
 * - close() of the relay destroys whatever is still here.
 */
import type { Socket } from 'node:net';
import { addressBlock } from '../core/address-block.js';
import {
  classifyFirstBytes,
  parseSpliceLine,
  SPLICE_LINE_BYTES,
  tokenOfServerName,
} from '../protocol/relay-splice.js';
import { readClientHelloServerName } from '../protocol/tls-client-hello.js';
import type { IpLimiter, IpRefusal, IpSlot } from './ip-limits.js';

/** Why the acceptor closed a connection itself, as counted in the relay's metrics. */
export type AcceptRefusal =
  'too_many_connections' | 'too_many_splices' | 'upgrade_timeout' | 'malformed_splice_line' | 'relay_full';

export interface AcceptHandlers {
  /** TLS or HTTP, first bytes put back: the HTTP(S) server takes it from here. */
  http(socket: Socket): void;
  /** A splice named `token` (64 hex); `rest` is what followed its line, or its whole ClientHello on. */
  splice(socket: Socket, token: string, rest: Buffer): void;
  /** The acceptor closed `socket` for `reason` (counted and logged by the caller). */
  refused(reason: AcceptRefusal, ip: string): void;
  /**
   * Whether the relay has a descriptor to spare for a new connection (relay/capacity.ts); when not, it
   * is closed at accept with `relay_full`. Always true unless given.
   */
  hasRoom?(): boolean;
}

interface Accepted {
  socket: Socket;
  /** The client's IPv4 address or IPv6 /64: what the per-IP limits count. */
  ip: string;
  slot: IpSlot;
  /** Until the socket is a WebSocket or a splice. */
  deadline: NodeJS.Timeout | undefined;
}

/** The TCP socket a TLS socket wraps (Node's `_parent`), or undefined for a plain one. */
const wrappedBy = (s: Socket): unknown => (s as Socket & { _parent?: unknown })._parent;

export class RelayAcceptor {
  /**
   * Every accepted socket still open. Keyed by the socket itself, not by its 4-tuple as before: reading
   * a socket's addresses makes Node keep them on it (an object and a string each for the local and the
   * remote end), on the TCP socket and again on the TLS socket over it, for every node (ADR 0069).
   */
  private readonly live = new Map<Socket, Accepted>();
  private closing = false;
  /**
   * The 'close' listener of every accepted socket, one function for all: Node calls it with the socket
   * as `this`, and its entry is found in `live`. A closure per socket kept a function and its context
   * alive for every idle node (ADR 0112).
   */
  private readonly onClosed: (this: Socket) => void;

  constructor(
    private readonly ips: IpLimiter,
    /** How long a connection may take to become a WebSocket or a splice, in ms. */
    private readonly deadlineMs: number,
    /** Whether the HTTP server is HTTPS: a TLS socket reads the bytes put back by itself. */
    private readonly tls: boolean,
    private readonly handlers: AcceptHandlers,
  ) {
    const live = this.live;
    this.onClosed = function (this: Socket): void {
      const entry = live.get(this);
      if (!entry) return;
      clearTimeout(entry.deadline);
      live.delete(this);
      ips.release(entry.ip, entry.slot);
    };
  }

  /** Open accepted sockets (for tests and stats). */
  get size(): number {
    return this.live.size;
  }

  /** A new connection on the relay's port. */
  accept(socket: Socket): void {
    const ip = addressBlock(socket.remoteAddress);
    if (!this.closing && this.handlers.hasRoom?.() === false) {
      socket.on('error', () => undefined);
      socket.destroy();
      this.handlers.refused('relay_full', ip);
      return;
    }
    const slot = this.closing ? undefined : this.ips.accept(ip);
    if (slot === undefined) {
      socket.on('error', () => undefined);
      socket.destroy();
      if (!this.closing) this.handlers.refused('too_many_connections', ip);
      return;
    }
    const entry: Accepted = { socket, ip, slot, deadline: undefined };
    entry.deadline = setTimeout(() => {
      this.handlers.refused('upgrade_timeout', ip);
      socket.destroy();
    }, this.deadlineMs);
    entry.deadline.unref();
    this.live.set(socket, entry);
    // The one place a slot is given back: the TCP socket closes after any TLS socket or WebSocket on it.
    // `on`, not `once`: a socket closes once, and once's wrapper costs each idle node memory (ADR 0061).
    socket.on('close', this.onClosed);
    this.sniff(entry);
  }

  /**
   * `socket` (the HTTP server's, so a TLS socket on wss) completed a WebSocket upgrade. Its deadline
   * ends (the WebSocket has its own auth timeout). Answers the address block it was counted under
   * (undefined if it is not ours) and whether it came in over the limit.
   */
  upgraded(socket: Socket): {
    ip: string | undefined;
    refusal: IpRefusal | undefined;
    /** The TCP socket under it, whose remote end this acceptor has read already (and Node cached). */
    tcp: Socket | undefined;
  } {
    const entry = this.find(socket);
    if (!entry) return { ip: undefined, refusal: undefined, tcp: undefined };
    // An over-limit socket keeps its deadline: it is about to be closed with 4020 anyway.
    if (entry.slot === 'over-limit') return { ip: entry.ip, refusal: 'TOO_MANY_CONNECTIONS', tcp: undefined };
    clearTimeout(entry.deadline);
    entry.deadline = undefined;
    return { ip: entry.ip, refusal: undefined, tcp: entry.socket };
  }

  /** The entry of `socket`, or of the TCP socket under it when it is a TLS socket. */
  private find(socket: Socket): Accepted | undefined {
    const parent = wrappedBy(socket);
    const entry = this.live.get(parent instanceof Object ? (parent as Socket) : socket);
    if (entry) return entry;
    // Only if a Node version stopped naming the TCP socket under a TLS one: found by its remote end
    // (cached on our sockets already, as the per-IP count read it), once per upgrade.
    const port = socket.remotePort;
    const address = socket.remoteAddress;
    for (const e of this.live.values()) {
      if (e.socket.remotePort === port && e.socket.remoteAddress === address) return e;
    }
    return undefined;
  }

  /** Refuses new connections and destroys every accepted one still open (relay shutdown). */
  destroyAll(): void {
    this.closing = true;
    for (const { socket } of this.live.values()) socket.destroy();
  }

  /** Reads the first bytes until they say what the connection speaks. */
  private sniff(entry: Accepted): void {
    const { socket } = entry;
    // Everything set up here is taken down once the connection is classified: 10 000 idle nodes each
    // hold a connection, and what is left on it is paid for each of them.
    const onError = (): void => void socket.destroy();
    const settled = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
    };
    // Chunks are joined only once there are as many bytes as the answer needs: a hello trickled in a
    // byte at a time is copied once, not once per byte (up to 16 KiB each time).
    const chunks: Buffer[] = [];
    let received = 0;
    let needed = 1;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < needed) return;
      const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      chunks.splice(0, chunks.length, head);
      const kind = classifyFirstBytes(head);
      // TLS waits for its first record (at most 16 KiB, within the deadline): its server name may name a splice.
      const hello = kind === 'tls' ? readClientHelloServerName(head) : undefined;
      if (kind === 'more') needed = received + 1;
      else if (kind === 'splice') needed = SPLICE_LINE_BYTES;
      else if (hello?.state === 'more') needed = hello.bytes;
      if (received < needed) return;
      settled();
      socket.pause();
      if (kind === 'splice') return this.spliceLine(entry, head);
      const named =
        hello?.state === 'read' && hello.serverName ? tokenOfServerName(hello.serverName) : undefined;
      // The hello is the first of the node-to-node TLS bytes: the pipe carries it to the other end.
      if (named !== undefined) return this.splice(entry, named, head);
      socket.unshift(head);
      // The HTTP(S) server puts its own error handler on it, as on any connection it accepts.
      this.handlers.http(socket);
      // A TLS socket over ours waits for our 'connect' (Node's `once`: a wrapper, its state and a
      // closure, kept for every node; ADR 0069), which an accepted socket never emits.
      if (this.tls) socket.removeAllListeners('connect');
      // TLS takes the bytes put back by itself; the HTTP parser needs the socket flowing again.
      if (!this.tls) socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', onError);
  }

  private spliceLine(entry: Accepted, head: Buffer): void {
    let token: string;
    try {
      token = parseSpliceLine(head.subarray(0, SPLICE_LINE_BYTES));
    } catch {
      this.handlers.refused('malformed_splice_line', entry.ip);
      return void entry.socket.destroy();
    }
    this.splice(entry, token, head.subarray(SPLICE_LINE_BYTES));
  }

  private splice(entry: Accepted, token: string, rest: Buffer): void {
    const { socket, ip } = entry;
    if (entry.slot === 'splice' || !this.ips.toSplice(ip, entry.slot)) {
      this.handlers.refused('too_many_splices', ip);
      return void socket.destroy();
    }
    entry.slot = 'splice';
    // The splice broker bounds a waiting splice connection by its offer's deadline from here on.
    clearTimeout(entry.deadline);
    entry.deadline = undefined;
    this.handlers.splice(socket, token, rest);
  }
}
