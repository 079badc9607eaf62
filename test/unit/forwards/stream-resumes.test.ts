/**
 * The acceptor's registry of resumable streams (ADR 0023): a resume reaches only the streams of the
 * peer whose link it came on, needs well-formed arguments, and an offset outside what the other side
 * kept ends the stream with a reason instead of corrupting it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError, refusalOf } from '../../../src-main/core/errors.js';
import { ResumableStream } from '../../../src-main/mux/resumable-stream.js';
import type { MuxStream, StreamRequest } from '../../../src-main/mux/mux.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import { StreamResumes } from '../../../src-main/forwards/stream-resumes.js';
import { ClawError } from '../../../src-main/core/errors.js';
import { muxPair, readAll } from '../mux/mux-fixtures.js';
import { until } from '../../helpers/wait.js';

const ID = '0123456789abcdef0123456789abcdef';

/** A mux pair whose acceptor serves `data` (adopted under peer `fp-a`) and `stream-resume` as `peer`. */
function world(resumes: StreamResumes, peer: string) {
  const registry = new ServiceRegistry();
  resumes.register(registry);
  return muxPair({
    b: {
      onStream: (req: StreamRequest) => {
        if (req.service === 'data') {
          const half = resumes.adopt('fp-a', ID, req.accept());
          half.on('error', (err: Error) => errors.push(err));
          halves.push(half);
          return;
        }
        registry.dispatch('b', { fingerprint: peer, name: peer, allow: [] }, req);
      },
    },
  });
}
const halves: ResumableStream[] = [];
const errors: Error[] = [];

test('a resume from another peer, or with a wrong ID or bad arguments, is refused', async () => {
  const resumes = new StreamResumes(5_000);
  const first = world(resumes, 'fp-a');
  await first.ma.open('data', {});
  assert.ok(resumes.has('fp-a', ID), "resumes.has('fp-a', ID)");
  const stranger = world(resumes, 'fp-b');
  await assert.rejects(stranger.ma.open('stream-resume', { id: ID, delivered: 0 }), (err) => {
    assert.equal(refusalOf(err), 'SESSION_GONE');
    return true;
  });
  const same = world(resumes, 'fp-a');
  await assert.rejects(same.ma.open('stream-resume', { id: 'f'.repeat(32), delivered: 0 }), (err) => {
    assert.equal(refusalOf(err), 'SESSION_GONE');
    return true;
  });
  await assert.rejects(same.ma.open('stream-resume', { id: ID, delivered: -1 }), (err) => {
    assert.equal(refusalOf(err), 'BAD_REQUEST');
    return true;
  });
  await assert.rejects(same.ma.open('stream-resume', { id: ID, delivered: 0, extra: 1 }), (err) => {
    assert.equal(refusalOf(err), 'BAD_REQUEST');
    return true;
  });
  for (const w of [first, stranger, same]) w.close();
  halves.length = 0;
});

test('an offset beyond what was sent ends the stream with a reason; the owner may resume it', async () => {
  const resumes = new StreamResumes(5_000);
  const first = world(resumes, 'fp-a');
  const opener = new ResumableStream({ stream: await first.ma.open('data', {}) }, { resumeMs: 5_000 });
  opener.on('error', () => undefined);
  while (!halves[0]) await new Promise((r) => setImmediate(r));
  const half = halves[0];
  half.write(Buffer.alloc(1000, 7));
  // The link dies: both halves wait, detached.
  first.a.fail(new ClawError('LINK_CLOSED', 'path died'));
  await until('the half detached', () => half.detached);
  assert.ok(half.detached && !half.destroyed, 'half.detached && !half.destroyed');
  const second = world(resumes, 'fp-a');
  // Claims 5000 bytes of a stream that sent 1000: the acceptor ends the stream, saying why.
  const carrier: MuxStream = await second.ma.open('stream-resume', { id: ID, delivered: 5000 });
  carrier.on('error', () => undefined);
  await until('half.destroyed', () => half.destroyed);
  await new Promise((r) => setImmediate(r));
  const err = errors.at(-1);
  assert.ok(half.destroyed, 'destroyed');
  assert.ok(isClawError(err, 'STREAM_RESET'), String(err));
  assert.match(err.message, /cannot resume: the peer has received 5000 bytes/);
  // A finished or failed stream cannot be resumed again.
  await until('the acceptor to drop the record after the reset', () => !resumes.has('fp-a', ID));
  await assert.rejects(
    second.ma.open('stream-resume', { id: ID, delivered: 0 }),
    (e) => refusalOf(e) === 'SESSION_GONE',
  );
  opener.destroy();
  first.close();
  second.close();
  halves.length = 0;
});

test('a half that finished cleanly answers a late resume with its count and FIN', async () => {
  const resumes = new StreamResumes(5_000);
  const first = world(resumes, 'fp-a');
  const opener = new ResumableStream({ stream: await first.ma.open('data', {}) }, { resumeMs: 5_000 });
  while (!halves[0]) await new Promise((r) => setImmediate(r));
  const half = halves[0];
  const got = readAll(half);
  half.end(Buffer.from('bye'));
  opener.end(Buffer.from('hi'));
  assert.equal((await got).toString(), 'hi');
  assert.equal((await readAll(opener)).toString(), 'bye');
  await until('kept as a finished record', () => half.destroyed && resumes.has('fp-a', ID));
  const carrier = await first.ma.open('stream-resume', { id: ID, delivered: 3 });
  const rest = readAll(carrier);
  const acked = new Promise<number>((resolve) => carrier.once('acked', resolve));
  assert.equal(carrier.peerAcked ?? (await acked), 2);
  assert.equal((await rest).length, 0, 'nothing more, then FIN');
  first.close();
  halves.length = 0;
});

test('a reply carries the ack of its request: the requester keeps nothing once the reply is there', async () => {
  const resumes = new StreamResumes(5_000);
  const w = world(resumes, 'fp-a');
  const opener = new ResumableStream({ stream: await w.ma.open('data', {}) }, { resumeMs: 5_000 });
  while (!halves[0]) await new Promise((r) => setImmediate(r));
  const half = halves[0];
  // The serving half answers each request at once, well inside ACK_DELAY_MS.
  half.on('data', () => half.write(Buffer.from('reply')));
  for (let i = 0; i < 3; i++) {
    const reply = new Promise<void>((resolve) =>
      opener.once('data', () => {
        // The ACKED went before the reply on the same ordered link, so it is already counted.
        assert.equal(opener.retainedBytes, 0, `request ${i} still kept when its reply arrived`);
        resolve();
      }),
    );
    opener.write(Buffer.from('request'));
    await reply;
  }
  opener.destroy();
  w.close();
  halves.length = 0;
});
