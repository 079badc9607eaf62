/**
 * A userspace link emulator on loopback (the kernel here has no netem): a TCP proxy between a client
 * side and a serving side. Each direction is a Bottleneck (bench/link-shape.ts: rate, buffer, one-way
 * delay), shared by every connection through the emulator as a real path's bottleneck is, and each
 * connection may have at most `windowBytes` in flight per direction (the receive window: credit comes
 * back when the receiving side's kernel took the bytes, plus the reverse one-way delay, as an ACK would).
 * While a direction's queue is full or a connection's window is used up, the emulator stops reading
 * that sender's socket: TCP cannot drop, so the bytes wait, and waiting is the latency bufferbloat adds.
 *
 * One timer per direction fires at the next due time (queue exit or delivery) and releases everything
 * due by then, so delivery is never early; how late it is, is measured (`stats().lateMs`) and reported
 * by the self-check. It runs in its own process (bench/link-emulator-child.ts) so its timers do not
 * share an event loop with what is measured.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  Bottleneck,
  latenessSummary,
  QueueLog,
  segmentBytes,
  TimedFifo,
  type LinkSpec,
  type QueueSummary,
} from './link-shape.js';
import { logFailure } from '../src-main/core/background.js';

/** Opens the emulator's connection to the serving side. */
export type Connector = () => Promise<Socket>;

/** Lateness samples kept (the newest), for the self-check's percentiles. */
const MAX_LATE_SAMPLES = 200_000;

type Dir = 'up' | 'down';

interface Conn {
  client: Socket;
  server: Socket;
  inflight: Record<Dir, number>;
  /** Segments of this direction not yet written to the receiver. */
  pending: Record<Dir, number>;
  ended: Record<Dir, boolean>;
}

interface Segment {
  conn: Conn;
  dir: Dir;
  data: Buffer;
}

export interface EmulatorStats {
  connections: number;
  bytes: Record<Dir, number>;
  /** How late segments reached the far end compared with their due time, in ms. */
  lateMs: { p50: number; p99: number; max: number; samples: number };
  /**
   * Per-hop timestamps of each direction's bottleneck since the last reset: how long segments waited
   * in its queue and how many bytes were ahead of them, so the bench can say where a key's time went
   * (the path's queue or the end hosts).
   */
  queue: Record<Dir, QueueSummary>;
}

export class LinkEmulator {
  private readonly server: Server;
  private readonly lanes: Record<Dir, Bottleneck<Segment>>;
  /** Window credit on its way back to each direction's sender (the ACKs). */
  private readonly credit: Record<Dir, TimedFifo<{ conn: Conn; bytes: number }>> = {
    up: new TimedFifo(),
    down: new TimedFifo(),
  };
  private readonly timers: Record<Dir, NodeJS.Timeout | undefined> = { up: undefined, down: undefined };
  private readonly timerAt: Record<Dir, number> = { up: Infinity, down: Infinity };
  private readonly conns = new Set<Conn>();
  private late: number[] = [];
  private readonly queueLog: Record<Dir, QueueLog> = { up: new QueueLog(), down: new QueueLog() };
  private connections = 0;
  private readonly bytes: Record<Dir, number> = { up: 0, down: 0 };

  constructor(
    private readonly spec: LinkSpec,
    private readonly connectServer: Connector,
  ) {
    this.lanes = { up: new Bottleneck(spec.up), down: new Bottleneck(spec.down) };
    // Half-open on both sides: one side's end must reach the other after the bytes queued before it.
    this.server = createServer({ allowHalfOpen: true }, (client) => {
      this.accept(client).catch(logFailure(console, 'an emulated link'));
    });
  }

  /** Listens on 127.0.0.1 (port 0: any); resolves with the port. */
  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const addr = this.server.address();
        if (addr === null || typeof addr === 'string') reject(new Error('emulator has no TCP address'));
        else resolve(addr.port);
      });
    });
  }

  stats(): EmulatorStats {
    return {
      connections: this.connections,
      bytes: { ...this.bytes },
      lateMs: { ...latenessSummary(this.late), samples: this.late.length },
      queue: { up: this.queueLog.up.summary(), down: this.queueLog.down.summary() },
    };
  }

  resetStats(): void {
    this.late = [];
    this.queueLog.up.clear();
    this.queueLog.down.clear();
  }

  close(): void {
    this.server.close();
    for (const c of this.conns) {
      c.client.destroy();
      c.server.destroy();
    }
    for (const dir of ['up', 'down'] as const) clearTimeout(this.timers[dir]);
  }

  /** Carries `client` (a connection from the client side) across the link to the serving side. */
  async accept(client: Socket): Promise<void> {
    client.pause();
    // Sockets handed over by another process (bench/netns-door.ts) are made without the option.
    client.allowHalfOpen = true;
    client.setNoDelay(true);
    client.on('error', () => client.destroy());
    let server: Socket;
    try {
      server = await this.connectServer();
    } catch {
      client.destroy();
      return;
    }
    server.pause();
    server.allowHalfOpen = true;
    server.setNoDelay(true);
    server.on('error', () => server.destroy());
    this.connections++;
    const conn: Conn = {
      client,
      server,
      inflight: { up: 0, down: 0 },
      pending: { up: 0, down: 0 },
      ended: { up: false, down: false },
    };
    this.conns.add(conn);
    const drop = () => {
      this.conns.delete(conn);
      client.destroy();
      server.destroy();
    };
    // A side that closed cleanly may still have bytes on their way to the other: those are delivered
    // (and the end after them) before the other side is let go; its close then drops the pair.
    const onClose = (hadError: boolean) => {
      if (hadError || (conn.pending.up === 0 && conn.pending.down === 0)) drop();
    };
    client.once('close', onClose);
    server.once('close', onClose);
    this.wire(conn, 'up', client);
    this.wire(conn, 'down', server);
    client.resume();
    server.resume();
  }

  private wire(conn: Conn, dir: Dir, from: Socket): void {
    const segment = segmentBytes(this.spec[dir].rateBytesPerS);
    from.on('data', (data: Buffer) => {
      const now = performance.now();
      for (let off = 0; off < data.length; off += segment) {
        const seg = data.subarray(off, Math.min(data.length, off + segment));
        this.queueLog[dir].add(this.lanes[dir].push({ conn, dir, data: seg }, seg.length, now));
        conn.inflight[dir] += seg.length;
        conn.pending[dir]++;
      }
      this.bytes[dir] += data.length;
      if (this.lanes[dir].full() || conn.inflight[dir] >= this.spec.windowBytes) from.pause();
      this.arm(dir);
    });
    from.once('end', () => {
      conn.ended[dir] = true;
      this.maybeEnd(conn, dir);
    });
  }

  private receiver(conn: Conn, dir: Dir): Socket {
    return dir === 'up' ? conn.server : conn.client;
  }

  private sender(conn: Conn, dir: Dir): Socket {
    return dir === 'up' ? conn.client : conn.server;
  }

  private maybeEnd(conn: Conn, dir: Dir): void {
    if (conn.ended[dir] && conn.pending[dir] === 0) this.receiver(conn, dir).end();
  }

  /** Sets the direction's timer to its next due time (earliest of queue, delay line and credit). */
  private arm(dir: Dir): void {
    const times = [this.lanes[dir].nextAt(), this.credit[dir].nextAt()].filter(
      (t): t is number => t !== undefined,
    );
    if (times.length === 0) return;
    const at = Math.min(...times);
    if (this.timers[dir] !== undefined && this.timerAt[dir] <= at) return;
    clearTimeout(this.timers[dir]);
    this.timerAt[dir] = at;
    // setTimeout never fires early; rounding up keeps it so for fractions of a ms.
    this.timers[dir] = setTimeout(() => this.tick(dir), Math.max(0, Math.ceil(at - performance.now())));
  }

  private tick(dir: Dir): void {
    this.timers[dir] = undefined;
    this.timerAt[dir] = Infinity;
    const now = performance.now();
    const back: Dir = dir === 'up' ? 'down' : 'up';
    // Segments due together leave in one writev per socket.
    const corked = new Set<Socket>();
    for (const { item, at } of this.lanes[dir].take(now)) {
      const { conn, data } = item;
      conn.pending[dir]--;
      if (this.late.length >= MAX_LATE_SAMPLES) this.late.shift();
      this.late.push(now - at);
      const to = this.receiver(conn, dir);
      if (to.destroyed) continue;
      if (!corked.has(to)) {
        corked.add(to);
        to.cork();
      }
      to.write(data, () => {
        // The receiving kernel took the bytes: the ACK travels back over the reverse delay.
        this.credit[dir].push({ conn, bytes: data.length }, performance.now() + this.spec[back].delayMs);
        this.arm(dir);
      });
      this.maybeEnd(conn, dir);
    }
    for (const s of corked) s.uncork();
    for (const { item } of this.credit[dir].takeDue(now)) item.conn.inflight[dir] -= item.bytes;
    // Senders paused by a full queue or window read again once both have room.
    if (!this.lanes[dir].full()) {
      for (const conn of this.conns) {
        const from = this.sender(conn, dir);
        if (from.isPaused() && conn.inflight[dir] < this.spec.windowBytes) from.resume();
      }
    }
    this.arm(dir);
  }
}
