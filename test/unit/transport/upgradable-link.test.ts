import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Emitter, type Disposer } from '../../../src-main/core/emitter.js';
import { ClawError, isClawError } from '../../../src-main/core/errors.js';
import { Mux, type MuxStream } from '../../../src-main/mux/mux.js';
import type { Link, PathKind, PiecesLink } from '../../../src-main/transport/link.js';
import { SWITCH_MARKER, UpgradableLink } from '../../../src-main/transport/upgradable-link.js';
import { createLinkPair, type LinkPairOptions, type MemoryLink } from '../../helpers/link-pair.js';
import { readAll, settle } from '../mux/mux-fixtures.js';
import { until } from '../../helpers/wait.js';

type Arrival = { frame: Uint8Array } | { close: Error | undefined };
type EndEvents = { frame: [Uint8Array]; drain: []; close: [Error | undefined] };

/** Splits a frame into views of at most `size` bytes, as a TLS socket's reads do. */
function split(frame: Uint8Array, size: number): Buffer[] {
  const whole = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const pieces: Buffer[] = [];
  for (let off = 0; off < whole.length; off += size) pieces.push(whole.subarray(off, off + size));
  return pieces.length > 0 ? pieces : [whole];
}

/**
 * One end of a MemoryLink pair as an UpgradableLink sees it. While `hold()` is in force what arrives
 * waits (a slow old transport); with `untilRead` it also waits until someone reads (a new transport
 * whose bytes sit in the socket until this side joins). Held arrivals, the peer's close included, come
 * out later in the order they arrived.
 */
class TestEnd implements Link {
  private readonly events = new Emitter<EndEvents>();
  private readonly queue: Arrival[] = [];
  private holding = false;
  private readers = 0;
  private isClosed = false;

  constructor(
    readonly inner: MemoryLink,
    private readonly untilRead = false,
    readonly remote: string = inner.remote,
  ) {
    inner.onFrame((frame) => this.arrive({ frame }));
    inner.onClose((error) => this.arrive({ close: error }));
    inner.onDrain(() => this.events.emit('drain'));
  }

  get peerId(): string {
    return this.inner.peerId;
  }
  get path(): PathKind {
    return this.inner.path;
  }
  get initiator(): boolean {
    return this.inner.initiator;
  }
  get closed(): boolean {
    return this.isClosed;
  }

  /** Arrivals wait from now on until `release()`. */
  hold(): void {
    this.holding = true;
  }

  /** Hands over everything held, in order, right now. */
  release(): void {
    this.holding = false;
    this.flush();
  }

  send(frame: Uint8Array): boolean {
    return this.isClosed ? false : this.inner.send(frame);
  }

  onFrame(listener: (frame: Uint8Array) => void): Disposer {
    this.readers++;
    const dispose = this.events.on('frame', listener);
    setImmediate(() => this.flush());
    return () => {
      this.readers--;
      dispose();
    };
  }
  onDrain(listener: () => void): Disposer {
    return this.events.on('drain', listener);
  }
  onClose(listener: (error?: Error) => void): Disposer {
    return this.events.on('close', listener);
  }

  close(reason?: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.queue.length = 0;
    this.inner.close(reason);
    this.events.emit('close', undefined);
    this.events.removeAll();
  }

  private get blocked(): boolean {
    return this.holding || (this.untilRead && this.readers === 0);
  }

  private arrive(arrival: Arrival): void {
    if (this.isClosed) return;
    if (this.blocked || this.queue.length > 0) this.queue.push(arrival);
    else this.dispatch(arrival);
  }

  private flush(): void {
    while (!this.isClosed && !this.blocked && this.queue.length > 0) this.dispatch(this.queue.shift()!);
  }

  private dispatch(arrival: Arrival): void {
    if ('frame' in arrival) {
      this.events.emit('frame', arrival.frame);
      return;
    }
    this.isClosed = true;
    this.events.emit('close', arrival.close);
    this.events.removeAll();
  }
}

/** A TestEnd that hands frames over in pieces (PiecesLink), as a SocketLink does. */
class TestPiecesEnd extends TestEnd implements PiecesLink {
  constructor(
    inner: MemoryLink,
    untilRead: boolean,
    remote: string,
    private readonly pieceBytes: number,
  ) {
    super(inner, untilRead, remote);
  }
  onFramePieces(listener: (pieces: readonly Buffer[]) => void): () => void {
    return this.onFrame((frame) => listener(split(frame, this.pieceBytes)));
  }
}

/**
 * A and B joined by an old transport (wrapped in UpgradableLinks) and a new one not yet in use. A reads
 * whole frames (onFrame), B reads pieces (onFramePieces); both record what they get and their closes.
 */
function wire(opts: { old?: LinkPairOptions; new?: LinkPairOptions; newPieces?: number } = {}) {
  const oldPair = createLinkPair(opts.old);
  const newPair = createLinkPair(opts.new);
  const oldA = new TestEnd(oldPair.a);
  const oldB = new TestEnd(oldPair.b);
  const makeNew = (inner: MemoryLink): TestEnd =>
    opts.newPieces === undefined
      ? new TestEnd(inner, true, `splice:${inner.remote}`)
      : new TestPiecesEnd(inner, true, `splice:${inner.remote}`, opts.newPieces);
  const newA = makeNew(newPair.a);
  const newB = makeNew(newPair.b);
  const A = new UpgradableLink(oldA);
  const B = new UpgradableLink(oldB);
  const gotA: string[] = [];
  const gotB: string[] = [];
  A.onFrame((frame) => gotA.push(Buffer.from(frame).toString()));
  B.onFramePieces((pieces) => gotB.push(Buffer.concat(pieces).toString()));
  const closesA: (Error | undefined)[] = [];
  const closesB: (Error | undefined)[] = [];
  A.onClose((error) => closesA.push(error));
  B.onClose((error) => closesB.push(error));
  const listenerErrors = () => [oldPair.a, oldPair.b, newPair.a, newPair.b].flatMap((l) => l.listenerErrors);
  return { oldPair, newPair, oldA, oldB, newA, newB, A, B, gotA, gotB, closesA, closesB, listenerErrors };
}

/** Sends `a<from>`..`a<to-1>` (prefix chosen by the caller) as frames of a recognisable text. */
function sendRange(link: UpgradableLink, prefix: string, from: number, to: number): void {
  for (let i = from; i < to; i++) assert.equal(link.send(Buffer.from(`${prefix}${i}:payload`)), true);
}

function names(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `${prefix}${from + k}:payload`);
}

test('frames before, during and after an upgrade at different moments arrive once and in order both ways, also when the new transport overtakes the old one', async () => {
  const w = wire();
  // Before either side moves.
  sendRange(w.A, 'a', 0, 3);
  sendRange(w.B, 'b', 0, 3);
  await settle();
  assert.deepEqual(w.gotB, names('a', 0, 3));
  assert.deepEqual(w.gotA, names('b', 0, 3));

  // From here on, what A sends on the old transport is slow: it reaches B only on release().
  w.oldB.hold();
  sendRange(w.A, 'a', 3, 5);
  assert.equal(w.A.upgraded, false);
  w.A.upgrade(w.newA);
  assert.equal(w.A.upgraded, true);
  assert.equal(w.A.remote, w.newA.remote, 'A now sends on the new transport');
  sendRange(w.A, 'a', 5, 8); // on the new transport; B has not joined it yet
  sendRange(w.B, 'b', 3, 5); // B still sends on the old one
  await settle();
  assert.deepEqual(w.gotA, names('b', 0, 5), 'A still reads the old transport until B’s marker');
  assert.deepEqual(w.gotB, names('a', 0, 3), 'nothing A sent after a2 has reached B yet');
  assert.equal(w.oldA.closed, false, 'A has not had B’s marker: the old transport stays');

  // B moves later. A's frames on the new transport now reach B before a3, a4 and A's marker do.
  w.B.upgrade(w.newB);
  sendRange(w.B, 'b', 5, 8);
  await settle();
  assert.equal(w.newPair.a.stats.framesSent, 3, 'a5..a7 went over the new transport');
  assert.equal(w.newPair.a.stats.queuedBytes, 0, 'and were delivered to B’s end of it');
  assert.deepEqual(w.gotB, names('a', 0, 3), 'B holds a5..a7 until A’s old transport is done');
  assert.deepEqual(w.gotA, names('b', 0, 8));
  assert.equal(w.oldA.closed, true, 'A sent its marker and had B’s: it retired the old transport');
  assert.equal(w.oldB.closed, false, 'B has not had A’s marker yet');

  // The old transport's last frames (a3, a4, A's marker, then the close) reach B.
  w.oldB.release();
  await settle();
  assert.deepEqual(w.gotB, names('a', 0, 8));
  assert.equal(w.oldB.closed, true);

  // And after both markers passed.
  sendRange(w.A, 'a', 8, 12);
  sendRange(w.B, 'b', 8, 12);
  await settle();
  assert.deepEqual(w.gotB, names('a', 0, 12));
  assert.deepEqual(w.gotA, names('b', 0, 12));
  assert.deepEqual(w.closesA, []);
  assert.deepEqual(w.closesB, []);
  assert.deepEqual(w.listenerErrors(), []);
});

test('B moving first, with new-transport frames in pieces: A holds them until B’s slow old transport brings its last frames and marker', async () => {
  // B moves first this time, with frames in pieces on the new transport; A's old transport is slow.
  const w = wire({ newPieces: 7 });
  w.oldA.hold();
  sendRange(w.B, 'b', 0, 2);
  w.B.upgrade(w.newB);
  sendRange(w.B, 'b', 2, 4);
  sendRange(w.A, 'a', 0, 2);
  await settle();
  assert.deepEqual(w.gotB, names('a', 0, 2));
  assert.deepEqual(w.gotA, []);
  w.A.upgrade(w.newA); // A reads the new transport now: b2, b3 come before b0, b1 and B's marker
  sendRange(w.A, 'a', 2, 4);
  await settle();
  assert.deepEqual(w.gotA, [], 'b2, b3 wait for B’s old transport');
  assert.deepEqual(w.gotB, names('a', 0, 4));
  w.oldA.release();
  await settle();
  assert.deepEqual(w.gotA, names('b', 0, 4));
  assert.equal(w.oldA.closed, true);
  assert.equal(w.oldB.closed, true);
  assert.deepEqual(w.listenerErrors(), []);
});

test('once both markers passed, both old ends are closed, the UpgradableLinks are not, and frames still flow', async () => {
  const w = wire();
  const onOldToB: Buffer[] = [];
  w.oldPair.b.onFrame((frame) => onOldToB.push(Buffer.from(frame)));
  w.A.upgrade(w.newA);
  w.B.upgrade(w.newB);
  await settle();
  assert.deepEqual(onOldToB, [Buffer.from(SWITCH_MARKER)], 'A’s only frame on the old transport: its marker');
  assert.equal(w.oldA.closed, true);
  assert.equal(w.oldB.closed, true);
  assert.equal(w.oldPair.a.closed, true);
  assert.equal(w.oldPair.b.closed, true);
  assert.equal(w.A.closed, false);
  assert.equal(w.B.closed, false);
  assert.equal(w.newA.closed, false);
  assert.equal(w.newB.closed, false);
  // Each side sent exactly one frame, its marker, on the old transport.
  assert.equal(w.oldPair.a.stats.framesSent, 1);
  assert.equal(w.oldPair.b.stats.framesSent, 1);
  sendRange(w.A, 'a', 0, 50);
  sendRange(w.B, 'b', 0, 50);
  await settle();
  assert.deepEqual(w.gotB, names('a', 0, 50));
  assert.deepEqual(w.gotA, names('b', 0, 50));
  assert.deepEqual(w.closesA, []);
  assert.deepEqual(w.closesB, []);
  assert.deepEqual(w.listenerErrors(), []);
});

test('after the upgrade the link lives and dies with the new transport: its failure closes both ends once', async () => {
  const w = wire();
  w.A.upgrade(w.newA);
  w.B.upgrade(w.newB);
  await settle();
  const error = new ClawError('LINK_CLOSED', 'splice broke');
  w.newPair.a.fail(error);
  await settle();
  assert.equal(w.closesA.length, 1);
  assert.equal(w.closesB.length, 1);
  assert.equal(w.closesA[0], error);
  assert.equal(w.closesB[0], error);
  assert.equal(w.A.closed, true);
  assert.equal(w.B.closed, true);
  assert.equal(w.A.send(Buffer.from('late frame')), false);
  assert.equal(w.A.sendParts(Buffer.from('head'), Buffer.from('body')), false);
  w.A.close('again'); // idempotent
  await settle();
  assert.equal(w.closesA.length, 1);
});

test('after the upgrade a clean close of the new transport closes the UpgradableLink with LINK_CLOSED, once on each side', async () => {
  const w = wire();
  w.A.upgrade(w.newA);
  w.B.upgrade(w.newB);
  await settle();
  w.newA.close('splice done');
  await settle();
  assert.equal(w.closesA.length, 1);
  assert.ok(isClawError(w.closesA[0], 'LINK_CLOSED'), String(w.closesA[0]));
  assert.equal(w.closesB.length, 1);
  assert.ok(isClawError(w.closesB[0], 'LINK_CLOSED'), String(w.closesB[0]));
});

test('before any upgrade, the old transport closing closes the UpgradableLink with its error', async () => {
  const w = wire();
  const error = new ClawError('LINK_CLOSED', 'relay went away');
  w.oldPair.a.fail(error);
  await settle();
  assert.deepEqual(w.closesA, [error]);
  assert.deepEqual(w.closesB, [error]);
  assert.equal(w.closesA[0], error, 'the very error object is passed through');
  assert.equal(w.A.closed, true);
  assert.equal(w.A.send(Buffer.from('late frame')), false);
  // Upgrading a closed link does not revive it: the offered transport is closed instead.
  w.A.upgrade(w.newA);
  assert.equal(w.newA.closed, true);
  assert.equal(w.A.upgraded, false);
  assert.equal(w.closesA.length, 1);
});

test('the old transport closing after this side moved but before the peer’s marker closes the link (frames would be lost)', async () => {
  const w = wire();
  w.A.upgrade(w.newA);
  await settle();
  const error = new ClawError('LINK_CLOSED', 'circuit dropped');
  w.oldPair.a.fail(error);
  await settle();
  assert.deepEqual(w.closesA, [error]);
  assert.deepEqual(w.closesB, [error]);
  assert.equal(w.newA.closed, true, 'A’s new transport goes with it');
});

test('close(reason) closes the link locally without an error and hands the reason to the peer', async () => {
  const w = wire();
  w.A.close('user quit');
  await settle();
  assert.deepEqual(w.closesA, [undefined]);
  assert.equal(w.closesB.length, 1);
  const peerError = w.closesB[0];
  assert.ok(isClawError(peerError, 'LINK_CLOSED'), "isClawError(peerError, 'LINK_CLOSED')");
  // MemoryLink tells the peer `link closed by peer: <reason>`, as a relay circuit sends its reason.
  assert.match(peerError.message, /user quit/, 'the reason given to close() reaches the peer');
});

test('upgrade() to a link to another peer throws BAD_ARGUMENT and changes nothing; a second upgrade throws too', async () => {
  const w = wire();
  const stranger = createLinkPair();
  // stranger.b's peer is 'a…', A's peer is 'b…'.
  assert.notEqual(stranger.b.peerId, w.A.peerId);
  assert.throws(
    () => w.A.upgrade(stranger.b),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
  );
  assert.equal(w.A.upgraded, false);
  assert.equal(w.oldPair.a.stats.framesSent, 0, 'no marker went out');
  sendRange(w.A, 'a', 0, 2);
  await settle();
  assert.deepEqual(w.gotB, names('a', 0, 2), 'the link still sends on the old transport');

  w.A.upgrade(w.newA);
  const other = createLinkPair();
  assert.throws(
    () => w.A.upgrade(other.a),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
  );
  assert.equal(w.oldPair.a.stats.framesSent, 3, 'one marker only');
  assert.equal(other.a.stats.framesSent, 0);
  w.B.upgrade(w.newB);
  sendRange(w.A, 'a', 2, 4);
  await settle();
  assert.deepEqual(w.gotB, names('a', 0, 4), 'still on the first new transport');
  assert.equal(w.newPair.a.stats.framesSent, 2);
  assert.deepEqual(w.closesA, []);
});

test('a send refused by the old transport is followed by a drain even when the upgrade comes before the old one drains', async () => {
  const w = wire({ old: { highWaterMark: 1024, latencyMs: 20 } });
  let drains = 0;
  w.A.onDrain(() => drains++);
  assert.equal(w.A.send(Buffer.alloc(4096, 1)), false, 'the old transport is congested');
  w.A.upgrade(w.newA);
  w.B.upgrade(w.newB);
  await until('the old transport flushed', () => w.oldPair.a.stats.queuedBytes === 0);
  await settle();
  // A caller that saw false waits for onDrain before sending more; it must come.
  assert.ok(drains > 0, 'no drain after a refused send: a Mux blocked on the old transport never resumes');
});

// ---- property: random frames, upgrade points and delivery orders ----------------------------------

/**
 * One end of a link pair that moves nothing by itself: the test hands over the next arrival of either
 * direction when it chooses (`deliverOne`). An end nobody reads yet keeps its arrivals (a new transport
 * this side has not joined). A close reaches the peer after the frames sent before it.
 */
class ScriptEnd implements Link {
  other!: ScriptEnd;
  readonly inbox: Arrival[] = [];
  readonly path: PathKind = 'relay';
  private readonly events = new Emitter<EndEvents>();
  private readers = 0;
  private isClosed = false;

  constructor(
    readonly peerId: string,
    readonly initiator: boolean,
    readonly remote: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** True when an arrival can be handed over now. */
  get ready(): boolean {
    return !this.isClosed && this.readers > 0 && this.inbox.length > 0;
  }

  deliverOne(): void {
    const arrival = this.inbox.shift()!;
    if ('frame' in arrival) this.events.emit('frame', arrival.frame);
    else this.finish(arrival.close);
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    this.other.inbox.push({ frame });
    return true;
  }

  onFrame(listener: (frame: Uint8Array) => void): Disposer {
    this.readers++;
    const dispose = this.events.on('frame', listener);
    return () => {
      this.readers--;
      dispose();
    };
  }
  onDrain(listener: () => void): Disposer {
    return this.events.on('drain', listener);
  }
  onClose(listener: (error?: Error) => void): Disposer {
    return this.events.on('close', listener);
  }

  close(reason?: string): void {
    if (this.isClosed) return;
    this.other.inbox.push({ close: new ClawError('LINK_CLOSED', `closed by peer: ${reason ?? ''}`) });
    this.finish(undefined);
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.inbox.length = 0;
    this.events.emit('close', error);
    this.events.removeAll();
  }
}

class ScriptPiecesEnd extends ScriptEnd implements PiecesLink {
  pieceBytes = 1;
  onFramePieces(listener: (pieces: readonly Buffer[]) => void): () => void {
    return this.onFrame((frame) => listener(split(frame, this.pieceBytes)));
  }
}

function scriptPair(pieceBytes: number | undefined, remote: string): { a: ScriptEnd; b: ScriptEnd } {
  const make = (peerId: string, initiator: boolean): ScriptEnd => {
    if (pieceBytes === undefined) return new ScriptEnd(peerId, initiator, remote);
    const end = new ScriptPiecesEnd(peerId, initiator, remote);
    end.pieceBytes = pieceBytes;
    return end;
  };
  const a = make('b'.repeat(64), true);
  const b = make('a'.repeat(64), false);
  a.other = b;
  b.other = a;
  return { a, b };
}

/** Frames of 6..2000 bytes: never the 1-byte marker (no mux frame is shorter than its 6-byte header). */
const sideArb = fc.record({
  frames: fc.array(fc.uint8Array({ minLength: 6, maxLength: 2000 }), { minLength: 1, maxLength: 200 }),
  /** Index (modulo frames + 1) of the frame before which this side upgrades. */
  upgradeAt: fc.nat(),
});

const planArb = fc.record({
  a: sideArb,
  b: sideArb,
  /** Which of the possible next steps (a send, an upgrade or one delivery on one of four directions) runs. */
  picks: fc.array(fc.nat(), { maxLength: 3000 }),
  /** New transport hands frames over whole, or in pieces of this many bytes. */
  newPieces: fc.option(fc.integer({ min: 1, max: 2500 }), { nil: undefined }),
});

function sameFrames(got: Buffer[], sent: Uint8Array[], what: string): void {
  assert.equal(got.length, sent.length, `${what}: ${got.length} frames received, ${sent.length} sent`);
  for (let i = 0; i < sent.length; i++) {
    assert.ok(Buffer.from(sent[i]!).equals(got[i]!), `${what}: frame ${i} differs`);
  }
}

test('property: random frames both ways, random upgrade points and random delivery orders keep every frame, once, in order', () => {
  fc.assert(
    fc.property(planArb, (plan) => {
      const oldPair = scriptPair(undefined, 'wss://relay');
      const newPair = scriptPair(plan.newPieces, 'wss://relay#splice');
      const A = new UpgradableLink(oldPair.a);
      const B = new UpgradableLink(oldPair.b);
      const gotA: Buffer[] = [];
      const gotB: Buffer[] = [];
      A.onFrame((frame) => gotA.push(Buffer.from(frame)));
      B.onFramePieces((pieces) => gotB.push(Buffer.concat(pieces)));
      let closes = 0;
      A.onClose(() => closes++);
      B.onClose(() => closes++);

      const sides = [
        {
          link: A,
          next: newPair.a,
          ...plan.a,
          sent: 0,
          upgradeAt: plan.a.upgradeAt % (plan.a.frames.length + 1),
        },
        {
          link: B,
          next: newPair.b,
          ...plan.b,
          sent: 0,
          upgradeAt: plan.b.upgradeAt % (plan.b.frames.length + 1),
        },
      ];
      const ends = [oldPair.a, oldPair.b, newPair.a, newPair.b];
      for (let step = 0; ; step++) {
        const options: (() => void)[] = [];
        for (const side of sides) {
          if (!side.link.upgraded && side.sent === side.upgradeAt) {
            options.push(() => side.link.upgrade(side.next));
          } else if (side.sent < side.frames.length) {
            options.push(() => assert.equal(side.link.send(side.frames[side.sent++]!), true));
          }
        }
        for (const end of ends) if (end.ready) options.push(() => end.deliverOne());
        if (options.length === 0) break;
        options[(plan.picks[step] ?? step) % options.length]!();
      }

      sameFrames(gotB, plan.a.frames, 'A→B');
      sameFrames(gotA, plan.b.frames, 'B→A');
      assert.equal(A.upgraded && B.upgraded, true);
      assert.equal(oldPair.a.closed && oldPair.b.closed, true, 'both old ends closed');
      assert.equal(A.closed || B.closed || newPair.a.closed || newPair.b.closed, false);
      assert.equal(closes, 0);
    }),
    { numRuns: 150 },
  );
});

// ---- a Mux over UpgradableLinks ---------------------------------------------------------------

/** Bytes whose value depends on their offset in the stream, so a lost or reordered chunk shows. */
function chunk(dir: number, offset: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = ((offset + i) * 7 + dir * 101 + ((offset + i) >> 8)) & 0xff;
  return b;
}

class Writer {
  offset = 0;
  readonly written: Buffer[] = [];
  constructor(
    private readonly stream: MuxStream,
    private readonly dir: number,
  ) {}
  write(count: number, size: number): void {
    for (let i = 0; i < count; i++) {
      const c = chunk(this.dir, this.offset, size);
      this.offset += size;
      this.written.push(c);
      this.stream.write(c);
    }
  }
  get all(): Buffer {
    return Buffer.concat(this.written);
  }
}

function muxes(w: ReturnType<typeof wire>) {
  const accepted: MuxStream[] = [];
  const ma = new Mux(w.A);
  const mb = new Mux(w.B, { onStream: (req) => accepted.push(req.accept()) });
  return { ma, mb, accepted, close: () => (ma.close('test over'), mb.close('test over')) };
}

test('a Mux over UpgradableLinks: a stream opened before the upgrade carries every byte in order across it, both ways', async (t) => {
  const w = wire({ newPieces: 16 * 1024 });
  const m = muxes(w);
  t.after(m.close);
  const s = await m.ma.open('echo', { n: 1 });
  await until('stream accepted', () => m.accepted.length === 1);
  const r = m.accepted[0]!;
  const up = new Writer(s, 0);
  const down = new Writer(r, 1);
  const gotUp = readAll(r, 10_000);
  const gotDown = readAll(s, 10_000);

  up.write(20, 3000);
  down.write(5, 1000);
  await settle(3);
  w.oldB.hold(); // A's last old-transport frames lag behind its first new-transport ones
  up.write(10, 5000);
  w.A.upgrade(w.newA);
  up.write(10, 7000);
  down.write(10, 2500);
  await settle(3);
  w.B.upgrade(w.newB);
  up.write(5, 70_000); // larger than a DATA frame
  down.write(10, 4000);
  await settle(3);
  w.oldB.release();
  up.write(10, 1234);
  down.write(10, 999);
  s.end();
  r.end();
  assert.ok((await gotUp).equals(up.all), 'A→B bytes intact and in order');
  assert.ok((await gotDown).equals(down.all), 'B→A bytes intact and in order');
  assert.equal(w.oldA.closed && w.oldB.closed, true);
  assert.equal(w.A.closed || w.B.closed, false);

  // A stream opened after the move works too, and the muxes never noticed anything.
  const s2 = await m.ma.open('echo', { n: 2 });
  await until('second stream accepted', () => m.accepted.length === 2);
  const got2 = readAll(m.accepted[1]!);
  s2.end('after the move');
  assert.equal((await got2).toString(), 'after the move');
  assert.ok((await m.ma.ping()) >= 0, '(await m.ma.ping()) >= 0');
  assert.equal(m.ma.closed || m.mb.closed, false);
  assert.deepEqual(w.listenerErrors(), []);
});

test('a Mux whose bulk data is blocked by the old transport’s backpressure resumes after the upgrade', async (t) => {
  const w = wire({ old: { highWaterMark: 16 * 1024, latencyMs: 30 } });
  const m = muxes(w);
  t.after(m.close);
  const s = await m.ma.open('bulk', {});
  await until('stream accepted', () => m.accepted.length === 1);
  const got = readAll(m.accepted[0]!, 5000);
  const up = new Writer(s, 0);
  up.write(8, 32 * 1024);
  await until('the old transport refused a DATA frame', () => w.oldPair.a.stats.refusals > 0);
  assert.ok(w.oldPair.a.stats.queuedBytes > 0, 'the old transport has not drained yet');
  w.A.upgrade(w.newA);
  w.B.upgrade(w.newB);
  up.write(8, 32 * 1024);
  s.end();
  assert.ok((await got).equals(up.all), 'every byte arrives');
});
