/**
 * splice: exact bytes both ways, half-close, teardown — and the write batching that keeps a direct
 * link's 16 KiB pieces from costing a write(2) each: what one tick delivers reaches the local side in
 * one writev, and the local sockets of forwards and exits carry a mark that lets a whole frame queue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { listenTcp } from '../../../src-main/forwards/listener.js';
import { dial } from '../../../src-main/forwards/tcp-connect-service.js';
import { LOCAL_SOCKET_HIGH_WATER_BYTES, splice } from '../../../src-main/forwards/splice.js';

/** A local side that records each batch the stream machinery hands it: one _writev call = one syscall. */
class RecordingLocal extends Duplex {
  readonly batches: Buffer[][] = [];
  constructor() {
    super({ allowHalfOpen: true, writableHighWaterMark: LOCAL_SOCKET_HIGH_WATER_BYTES });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.batches.push([chunk]);
    cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: () => void): void {
    this.batches.push(chunks.map((c) => c.chunk));
    cb();
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('pieces that arrive in one tick reach the local side in one batch, in order and exact', async () => {
  const local = new RecordingLocal();
  const remote = new PassThrough({ allowHalfOpen: true });
  const done = splice(local, remote);
  const pieces = [0, 1, 2, 3].map((i) => Buffer.alloc(16 * 1024, i));
  for (const p of pieces) remote.write(p);
  await tick();
  assert.equal(local.batches.length, 1, `expected one batch, got ${local.batches.length}`);
  assert.deepEqual(Buffer.concat(local.batches[0]!), Buffer.concat(pieces));
  // A later tick is a new batch: nothing waits for more data that may never come.
  remote.write(Buffer.from('tail'));
  await tick();
  assert.equal(local.batches.length, 2);
  assert.equal(Buffer.concat(local.batches[1]!).toString(), 'tail');
  local.destroy();
  remote.destroy();
  await done;
});

test('bytes both ways are exact and a half-close ends only the other side’s writing', async () => {
  // Each side is a readable half (what it sends) and a writable half (what it is sent), kept apart.
  const clientIn = new PassThrough();
  const clientOut: Buffer[] = [];
  const localSide = Duplex.from({ readable: clientIn, writable: collect(clientOut) });
  const remoteIn = new PassThrough();
  const remoteOut: Buffer[] = [];
  const remoteSide = Duplex.from({ readable: remoteIn, writable: collect(remoteOut) });
  const done = splice(localSide, remoteSide);
  clientIn.end(Buffer.from('request'));
  remoteIn.write(Buffer.from('response '));
  await tick();
  await tick();
  remoteIn.end(Buffer.from('after the client’s FIN'));
  await done;
  assert.equal(Buffer.concat(remoteOut).toString(), 'request');
  assert.equal(Buffer.concat(clientOut).toString(), 'response after the client’s FIN');
});

test('an error on one side tears down the other', async () => {
  const local = new RecordingLocal();
  const remote = new PassThrough();
  const done = splice(local, remote);
  remote.destroy(new Error('link lost'));
  await done;
  assert.ok(local.destroyed, 'local.destroyed');
});

test('sockets of forward listeners and of exits take a whole frame before pipe pauses', async (t) => {
  let accepted: Socket | undefined;
  const listener = await listenTcp('127.0.0.1', 0, (socket) => {
    accepted = socket;
  });
  t.after(() => listener.close());
  const port = (listener.server.address() as AddressInfo).port;
  const client = connect(port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  while (!accepted) await tick();
  assert.equal(accepted.writableHighWaterMark, LOCAL_SOCKET_HIGH_WATER_BYTES);
  const exit = await dial('127.0.0.1', port, {
    limits: undefined,
    signal: new AbortController().signal,
    notAllowed: 'not allowed',
  });
  assert.equal(exit.writableHighWaterMark, LOCAL_SOCKET_HIGH_WATER_BYTES);
  exit.destroy();
  client.destroy();
});

function collect(into: Buffer[]) {
  return new (class extends Duplex {
    override _read(): void {}
    override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
      into.push(chunk);
      cb();
    }
  })();
}
